/** Shapes of the agent's bridge API (agent/src/server/routes/bridge-routes.ts), as the web app reads them. */

/** A JSON Schema fragment of one config key. */
export interface PropertySchema {
  type?: string;
  description?: string;
  enum?: string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  items?: PropertySchema;
  properties?: Record<string, PropertySchema>;
}

/** One bridge type from `GET …/bridge-types` (built from the agent's registry). */
export interface BridgeTypeInfo {
  type: string;
  description: string;
  /** The type's own keys first, then the keys every bridge shares. */
  properties: Record<string, PropertySchema>;
  required: string[];
  secretKeys: string[];
  senderIdHint?: string;
}

/** A bridge entry as the API shows it: secrets are "********". */
export type BridgeConfig = { type: string } & Record<string, unknown>;

/** One configured bridge with its state (`GET …/bridges`). */
export interface BridgeOverview {
  id: string;
  type: string;
  state: "starting" | "connected" | "reconnecting" | "error" | "stopped";
  failures: number;
  lastError?: string;
  fix?: string;
  /** What the owner should know about the live connection, with its fix (agent's English text). */
  warnings?: string[];
  enabled: boolean;
  config: BridgeConfig;
}

/** Answer of `POST …/bridges/test`. */
export interface ConnectionTestResult {
  ok: boolean;
  reason?: string;
  fix?: string;
  botId?: string;
  ms: number;
  /** What kind of failure (agent/src/bridges/test-connection.ts FailureKind): the headline's catalogue key. */
  kind?: "auth" | "unreachable" | "permission" | "config" | "timeout" | "not-registered" | "listen" | "other";
  /** The entry is the running bridge's unchanged: the answer is that bridge's own state (no second connection). */
  running?: true;
}

/** Answer of `PUT …/bridges/:id` and `DELETE …/bridges/:id`. */
export interface BridgeChangeAnswer {
  change: { id: string; savedTo: string | null; started: string[]; stopped: string[]; restarted: string[] };
  bridge?: BridgeOverview | null;
}

/** What the API shows instead of a stored secret; sending it back keeps the stored value. */
export const SECRET_PLACEHOLDER = "********";

/** The API prefix: the dashboard (session cookie + CSRF) or the wizard (setup code). */
export type BridgeApiBase = "/api/dashboard" | "/api/setup";
