/**
 * The types shared by the server builder (build-server.ts) and its route plugins. Plugins import them from
 * here, never from the builder that registers them (rule: no import circles, type-only ones included).
 */
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import type { ClawboxConfig } from "../config/config-schema.js";
import type { InferenceService, ModelLoadSpec } from "../inference/types.js";
import type { StoredModel } from "../models/store.js";
import type { Reminders } from "../reminders/reminders.js";
import type { SetupServices } from "../setup/setup-services.js";
import type { AuditLog } from "../store/audit-log.js";
import type { ConversationStore } from "../store/conversation-store.js";
import type { LogRing } from "../system/log-ring.js";
import type { StatusSampler } from "../system/status-sampler.js";
import type { BridgeRoutesOptions } from "./routes/bridge-routes.js";
import type { OperationsServices } from "./routes/operations.js";

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

/** Dashboard extras, each optional (a missing one makes its route answer 501). */
export interface DashboardServices {
  sampler?: StatusSampler;
  logs?: LogRing;
  models?: { list(): Promise<StoredModel[]>; remove(name: string): Promise<string[]> };
  /** Writes a new API token file and returns the token (api-token.ts rotateApiToken). */
  rotateToken?: () => string;
  /** Config file text (or null) for the backup. */
  configText?: () => string | null;
}
