import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { reminderRoutes } from "../reminders/reminder-routes.js";
import { registerAuditHook } from "./audit-hook.js";
import { bearerAuth } from "./auth.js";
import { registerCors } from "./cors.js";
import { registerErrorHandling } from "./error-handler.js";
import { createServerMetrics } from "./metrics.js";
import { accountRoutes } from "./routes/accounts.js";
import { adminRoutes } from "./routes/admin.js";
import { adminAuditRoutes, dashboardAuditRoutes } from "./routes/audit.js";
import { bridgeRoutes } from "./routes/bridge-routes.js";
import { chatCompletionsRoutes } from "./routes/chat-completions.js";
import { completionsRoutes } from "./routes/completions.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { dashboardChatRoutes } from "./routes/dashboard-chat.js";
import { embeddingsRoutes } from "./routes/embeddings.js";
import { healthRoutes } from "./routes/health.js";
import { metricsRoutes } from "./routes/metrics.js";
import { modelsRoutes } from "./routes/models.js";
import { operationsRoutes } from "./routes/operations.js";
import { sessionRoutes } from "./routes/session.js";
import { setupRoutes } from "./routes/setup.js";
import { webAppRoutes } from "./routes/web-app.js";
import type { ServerDeps } from "./types.js";

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
