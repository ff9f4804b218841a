import { randomBytes } from "node:crypto";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { type BridgeRoutesOptions, bridgeRoutes } from "../bridges/bridge-routes.js";
import type { ClawboxConfig } from "../config/config-schema.js";
import type { InferenceService, ModelLoadSpec } from "../inference/types.js";
import { reminderRoutes } from "../reminders/reminder-routes.js";
import type { Reminders } from "../reminders/reminders.js";
import type { SetupServices } from "../setup/setup-services.js";
import type { AuditLog } from "../store/audit-log.js";
import type { ConversationStore } from "../store/conversation-store.js";
import { registerAuditHook } from "./audit-hook.js";
import { bearerAuth } from "./auth.js";
import { registerCors } from "./cors.js";
import { registerErrorHandling } from "./error-handler.js";
import { createServerMetrics } from "./metrics.js";
import { accountRoutes } from "./routes/accounts.js";
import { adminRoutes } from "./routes/admin.js";
import { adminAuditRoutes, dashboardAuditRoutes } from "./routes/audit.js";
import { chatCompletionsRoutes } from "./routes/chat-completions.js";
import { completionsRoutes } from "./routes/completions.js";
import { type DashboardServices, dashboardRoutes } from "./routes/dashboard.js";
import { dashboardChatRoutes } from "./routes/dashboard-chat.js";
import { embeddingsRoutes } from "./routes/embeddings.js";
import { healthRoutes } from "./routes/health.js";
import { metricsRoutes } from "./routes/metrics.js";
import { modelsRoutes } from "./routes/models.js";
import { type OperationsServices, operationsRoutes } from "./routes/operations.js";
import { sessionRoutes } from "./routes/session.js";
import { setupRoutes } from "./routes/setup.js";
import { webAppRoutes } from "./routes/web-app.js";

/** Everything the HTTP API needs, passed in (tests give small real components). */
export interface ServerDeps {
  inference: InferenceService;
  store: ConversationStore;
  /** The API bearer token (see api-token.ts). */
  token: string;
  /** pino logger (fastify logs through it; Authorization headers are redacted by log.ts). */
  logger: FastifyBaseLogger;
  config: ClawboxConfig;
  /**
   * Turns a model reference from `POST /admin/model` (catalogue id or GGUF path) into a load spec with
   * the runtime settings of this device; throws UserError for an unknown id or a missing file.
   * Absent → model switching answers 501.
   */
  resolveModel?: (ref: string) => Promise<ModelLoadSpec>;
  /** Extra fields for `GET /admin/status` (device profile, runtime settings). */
  statusInfo?: () => Record<string, unknown>;
  /** Setup wizard, login and dashboard services; absent → those routes are not served. */
  setup?: SetupServices;
  /** Dashboard-only extras (status history, logs, backup); needs `setup`. */
  dashboard?: DashboardServices;
  /** Folder of the built web app (webui/dist); absent or missing → no static files. */
  webRoot?: string;
  /** PEM certificate and key: the server speaks HTTPS (tls.ts loadTls). */
  https?: { cert: Buffer; key: Buffer };
  /**
   * Shared holder of the current API token when two servers (HTTPS + loopback HTTP) serve the same
   * agent, so a rotation in one applies to both. Absent → a holder of `token` for this server only.
   */
  tokenRef?: { current: string };
  /** Bridges and pairing for the dashboard API (needs `setup`); absent → those routes are not served. */
  bridges?: Omit<BridgeRoutesOptions, "setup">;
  /** Jobs and backups for the dashboard and the wizard's restore (needs `setup`); absent → not served. */
  operations?: OperationsServices;
  /** Runs first on every request (e.g. httpsRedirect on the plain-HTTP port of a device). */
  onRequest?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** The audit log: every admin action is recorded (audit-hook.ts) and listed; absent → not audited. */
  audit?: AuditLog;
  /** Reminders for the dashboard API (needs `setup`). */
  reminders?: Reminders;
}

/**
 * Builds the agent's fastify app (not listening yet): OpenAI-compatible `/v1/*`, `/admin/*` and `/metrics`
 * behind bearer auth, `/healthz` open, one error handler (OpenAI error bodies, no stack traces), CORS for
 * `config.server.corsOrigins`. Body validation uses ajv without type coercion or removal of unknown
 * fields, so `"stream": "yes"` is a 400 rather than silently true. Request ids are 12 random hex digits.
 * With `deps.setup`: the setup API (`/api/setup*`), login (`/api/session`) and the dashboard API
 * (`/api/dashboard/*`); with `deps.webRoot`: the web app's static files with an index.html fallback.
 */
export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    genReqId: () => randomBytes(6).toString("hex"),
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false },
    },
    forceCloseConnections: "idle",
    ...(deps.https ? { https: deps.https } : {}),
  }) as unknown as FastifyInstance;
  const metrics = createServerMetrics(deps.inference);

  registerErrorHandling(app);
  // Every answered request is counted with its status, also those an auth hook or validation rejected.
  app.addHook("onResponse", async (request, reply) => {
    metrics.observeHttp(
      request.method,
      request.routeOptions.url ?? "unmatched",
      reply.statusCode,
      reply.elapsedTime,
    );
  });
  if (deps.audit) registerAuditHook(app, deps.audit);
  registerCors(app, deps.config.server.corsOrigins);
  app.register(healthRoutes, { deps });
  // The token can be rotated from the dashboard; the hook reads the current one on every request.
  const tokenHolder = deps.tokenRef ?? { current: deps.token };
  if (deps.onRequest) app.addHook("onRequest", deps.onRequest);
  app.register(async (secured) => {
    secured.addHook("onRequest", (request, reply) => bearerAuth(tokenHolder.current)(request, reply));
    secured.register(chatCompletionsRoutes, { deps, metrics });
    secured.register(completionsRoutes, { deps, metrics });
    secured.register(embeddingsRoutes, { deps });
    secured.register(modelsRoutes, { deps });
    secured.register(adminRoutes, { deps });
    secured.register(metricsRoutes, { metrics });
    if (deps.audit) secured.register(adminAuditRoutes, { audit: deps.audit });
  });
  if (deps.setup) {
    const setup = deps.setup;
    app.register(setupRoutes, { setup, token: () => tokenHolder.current });
    app.register(sessionRoutes, { setup });
    app.register(dashboardRoutes, {
      deps,
      setup,
      dashboard: deps.dashboard ?? {},
      token: {
        get: () => tokenHolder.current,
        set: (token: string) => {
          tokenHolder.current = token;
        },
      },
    });
  }
  if (deps.setup && deps.bridges) app.register(bridgeRoutes, { ...deps.bridges, setup: deps.setup });
  if (deps.setup && deps.operations)
    app.register(operationsRoutes, { setup: deps.setup, ops: deps.operations });
  if (deps.setup) {
    app.register(accountRoutes, { setup: deps.setup });
    app.register(dashboardChatRoutes, { deps, setup: deps.setup });
    if (deps.audit) app.register(dashboardAuditRoutes, { setup: deps.setup, audit: deps.audit });
    if (deps.reminders) app.register(reminderRoutes, { setup: deps.setup, reminders: deps.reminders });
  }
  if (deps.webRoot) app.register(webAppRoutes, { root: deps.webRoot });
  return app;
}
