/**
 * The `backends:` part of the config: remote OpenAI-compatible model servers (another clawbox on the LAN,
 * llama.cpp's llama-server, Ollama) keyed by a short name, plus the `routing:` rules that decide whether and
 * in which order they may be used. `routing.localOnly` (default true) keeps every prompt on this device.
 */

/** One remote backend as loaded from the config. */
export interface RemoteBackendConfig {
  /** Base URL of the OpenAI-compatible API, e.g. "http://big-box.local:8080/v1" (the part before /chat/completions). */
  url: string;
  /** Bearer token sent as `Authorization: Bearer …`; absent = none (Ollama, an open llama-server). Never logged. */
  token?: string;
  /** Model name sent in the request body (`model`), e.g. "qwen2.5:7b" for Ollama; absent = the server's default. */
  model?: string;
  /** Whole-request timeout in ms (connect + generation), default 120,000 (the local engine's default). */
  timeoutMs: number;
}

/** Where prompts may go and in which order backends are tried. */
export interface RoutingConfig {
  /** true (default): no prompt ever leaves this device; remote backends are never contacted. */
  localOnly: boolean;
  /**
   * Backends tried in order after the one in use fails before its first token: "local" or "remote:<name>".
   * Default ["local"]: no fallback beyond the local model.
   */
  fallback: string[];
}

/** Backend names: lowercase, digits, dash, underscore (used as `remote:<name>` in the CLI and API). */
export const BACKEND_NAME_PATTERN = "^[a-z0-9][a-z0-9_-]{0,63}$";

/** JSON Schema of the `backends:` map. */
export const BACKENDS_SCHEMA = {
  type: "object",
  description:
    "Remote OpenAI-compatible model servers keyed by name, e.g. `big-box: {url: http://big-box.local:8080/v1, " +
    "token: …}`. Used with `clawbox models use remote:<name>` or in routing.fallback, only when " +
    "routing.localOnly is false.",
  propertyNames: { pattern: BACKEND_NAME_PATTERN },
  additionalProperties: {
    type: "object",
    additionalProperties: false,
    required: ["url"],
    properties: {
      url: {
        type: "string",
        pattern: "^https?://",
        description:
          "Base URL of the OpenAI-compatible API (before /chat/completions): a clawbox or llama-server " +
          "http://host:8080/v1, Ollama http://host:11434/v1.",
      },
      token: { type: "string", minLength: 1, description: "Bearer token of that server (never logged)." },
      model: { type: "string", minLength: 1, description: "Model name to ask that server for." },
      timeoutMs: {
        type: "integer",
        minimum: 1000,
        default: 120000,
        description: "Whole-request timeout in ms (connect + generation).",
      },
    },
  },
} as const;

/** JSON Schema of `routing:`. */
export const ROUTING_SCHEMA = {
  type: "object",
  default: {},
  additionalProperties: false,
  description: "Which backends may answer and in which order.",
  properties: {
    localOnly: {
      type: "boolean",
      default: true,
      description:
        "true = no prompt ever leaves this device: remote backends are never contacted, even when configured.",
    },
    fallback: {
      type: "array",
      items: { type: "string", pattern: "^(local|remote:[a-z0-9][a-z0-9_-]{0,63})$" },
      uniqueItems: true,
      default: ["local"],
      description:
        'Backends tried in order when the one in use fails before answering: "local" or "remote:<name>", ' +
        'e.g. ["local", "remote:big-box"].',
    },
  },
} as const;
