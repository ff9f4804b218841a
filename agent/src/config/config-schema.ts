/**
 * The agent's configuration (`/etc/clawbox/config.yaml` on a device, `--config FILE` elsewhere).
 * `CONFIG_SCHEMA` is the single source of truth for keys, types and defaults: ajv fills the defaults in
 * (`useDefaults`), so `ClawboxConfig` below is what `loadConfig` returns. Every object rejects unknown keys
 * so a typo fails with file:line:key instead of being silently ignored.
 */

import { type BridgeConfig, bridgesSchema } from "../bridges/config-schema.js";
import {
  BACKENDS_SCHEMA,
  type RemoteBackendConfig,
  ROUTING_SCHEMA,
  type RoutingConfig,
} from "./backends-schema.js";

/** pino log levels, quietest last. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServerConfig {
  /** Interface to bind; 127.0.0.1 keeps the API local until the owner opens it up. */
  host: string;
  /** TCP port; 0 picks a free one (tests). */
  port: number;
  /** Browser origins allowed to call the API (CORS); absent = same-origin only. */
  corsOrigins?: string[];
  /** HTTPS certificate and key (PEM files); absent = the device's /etc/clawbox/tls files when they exist. */
  tls?: { cert: string; key: string; enabled?: boolean; port?: number; publicPort?: number };
}

export interface SetupConfig {
  /** CIDR ranges allowed to use the setup API besides loopback, private and link-local addresses. */
  allowFrom?: string[];
}

export interface SystemConfig {
  /** How device changes are made: "device" (hostnamectl, timedatectl, nmcli), "record" (dev), "auto". */
  actions?: "auto" | "device" | "record";
}

export interface InferenceConfig {
  /** CPU threads; absent = the device profile's choice (physical performance cores). */
  threads?: number;
  /** Context size in tokens; absent = the profile's default, capped by the model's trained context. */
  contextSize?: number;
  /** Layers offloaded to the GPU; absent = decided from the profile (0 on CPU-only devices). */
  gpuLayers?: number;
  /** Whole-request timeout (queue wait + generation), ms. */
  requestTimeoutMs: number;
  /** Requests allowed to wait in the queue before new ones get 503. */
  maxQueue: number;
  /** max_tokens when a request does not give one, tokens. */
  maxTokensDefault: number;
  /** Conversations decoded together; absent = the profile's parallelSequences (bounded by memory). */
  parallel?: number;
}

export interface RecommendConfig {
  /** Speed floor for the model choice, tokens/s. */
  minTokensPerSecond: number;
  /** ISO 639-1 codes the owner needs (e.g. ["zh"]); models listing them are preferred. */
  languages?: string[];
}

/** Scheduled jobs (agent/src/jobs): node-cron expressions in the device's time zone. */
export interface JobsConfig {
  /** IANA time zone of the schedules; absent = the device's (wizard/dashboard), else the system's. */
  timezone?: string;
  retention: {
    schedule: string;
    conversationDays: number;
    outboxDays: number;
    logDays: number;
    /** Folders with log files to prune; absent = `<dataDir>/logs`. */
    logDirs?: string[];
  };
  maintenance: { schedule: string; integritySchedule: string };
  backup: {
    schedule: string;
    /** Newest archives kept; older ones are deleted after each new backup. */
    keep: number;
    /** Folder of the archives; absent = `<dataDir>/backups`. */
    dir?: string;
  };
}

export interface ClawboxConfig {
  /** State folder (token, database, models); absent = resolveDataDir() ($CLAWBOX_DATA_DIR, XDG). */
  dataDir?: string;
  server: ServerConfig;
  /** Catalogue id (model in the store) or path of a GGUF file; absent = none/recommended. */
  model?: string;
  inference: InferenceConfig;
  recommend: RecommendConfig;
  log: { level: LogLevel };
  /** Absent = defaults (no extra ranges). */
  setup?: SetupConfig;
  /** Absent = { actions: "auto" }. */
  system?: SystemConfig;
  /** Messaging bridges keyed by bridge id (agent/src/bridges/config-schema.ts). Absent = none. */
  bridges?: Record<string, BridgeConfig>;
  jobs: JobsConfig;
  /** Remote OpenAI-compatible backends keyed by name (config/backends-schema.ts). Absent = none. */
  backends?: Record<string, RemoteBackendConfig>;
  /** Whether remote backends may be used and the fallback order (config/backends-schema.ts). */
  routing: RoutingConfig;
}

const cron = (fallback: string, description: string) => ({
  type: "string",
  minLength: 9,
  default: fallback,
  description: `${description} node-cron expression ("minute hour day-of-month month day-of-week").`,
});

/** JSON Schema (draft-07, ajv) of ClawboxConfig with defaults. Exported as a plain object for docs/tools. */
export const CONFIG_SCHEMA = {
  title: "clawbox agent configuration",
  type: "object",
  additionalProperties: false,
  properties: {
    dataDir: {
      type: "string",
      minLength: 1,
      description:
        "Folder for the agent's state (API token, SQLite database, models). Default: $CLAWBOX_DATA_DIR, else " +
        "$XDG_DATA_HOME/clawbox or ~/.local/share/clawbox; the device image uses /var/lib/clawbox.",
    },
    server: {
      type: "object",
      default: {},
      additionalProperties: false,
      description: "The HTTP API (OpenAI-compatible, admin, health, metrics).",
      properties: {
        host: {
          type: "string",
          minLength: 1,
          default: "127.0.0.1",
          description: "Interface to listen on. 127.0.0.1 = this machine only; 0.0.0.0 = every interface.",
        },
        port: {
          type: "integer",
          minimum: 0,
          maximum: 65535,
          default: 8080,
          description: "TCP port to listen on; 0 picks a free port (printed at start).",
        },
        corsOrigins: {
          type: "array",
          items: { type: "string", minLength: 1 },
          uniqueItems: true,
          description:
            'Browser origins allowed to call the API, e.g. ["http://clawbox.local"]. Absent = none.',
        },
        tls: {
          type: "object",
          additionalProperties: false,
          required: ["cert", "key"],
          description:
            "Serve HTTPS with this PEM certificate and key. Absent: HTTPS when /etc/clawbox/tls/cert.pem and " +
            "key.pem exist (made on first boot), plain HTTP otherwise.",
          properties: {
            cert: { type: "string", minLength: 1, description: "PEM certificate file." },
            key: { type: "string", minLength: 1, description: "PEM private key file." },
            enabled: {
              type: "boolean",
              default: true,
              description: "false = plain HTTP even with the files.",
            },
          },
        },
      },
    },
    setup: {
      type: "object",
      additionalProperties: false,
      description: "The first-boot setup wizard.",
      properties: {
        allowFrom: {
          type: "array",
          items: { type: "string", minLength: 1 },
          uniqueItems: true,
          description:
            "Extra client address ranges (CIDR) allowed to use the setup API; loopback, private (RFC 1918, " +
            'fc00::/7) and link-local addresses are always allowed. E.g. ["100.64.0.0/10"].',
        },
      },
    },
    system: {
      type: "object",
      additionalProperties: false,
      description: "How the agent changes the device (hostname, time zone, Wi-Fi, SSH keys).",
      properties: {
        actions: {
          type: "string",
          enum: ["auto", "device", "record"],
          description:
            '"device": hostnamectl, timedatectl and nmcli; "record": only write the requests to ' +
            'system-requests.jsonl in the data dir (development); "auto": device when /etc/clawbox exists.',
        },
      },
    },
    model: {
      type: "string",
      minLength: 1,
      description:
        "Model to load at start: a catalogue id whose file is in the model store (see `clawbox models list`) " +
        "or the path of a GGUF file.",
    },
    inference: {
      type: "object",
      default: {},
      additionalProperties: false,
      description: "Local inference with node-llama-cpp. Absent numbers are decided from the device profile.",
      properties: {
        threads: {
          type: "integer",
          minimum: 1,
          maximum: 1024,
          description: "CPU threads for generation; default: the physical performance cores of this device.",
        },
        contextSize: {
          type: "integer",
          minimum: 64,
          maximum: 1048576,
          description: "Context size in tokens (KV cache size); default: the device profile's default.",
        },
        gpuLayers: {
          type: "integer",
          minimum: 0,
          maximum: 1024,
          description:
            "Model layers offloaded to the GPU; default: from the device profile (0 without a GPU).",
        },
        requestTimeoutMs: {
          type: "integer",
          minimum: 1000,
          default: 120000,
          description:
            "Whole-request timeout in ms (queue wait + generation); the client gets an error after it.",
        },
        maxQueue: {
          type: "integer",
          minimum: 1,
          maximum: 10000,
          default: 32,
          description: "Requests that may wait for the model; further ones are refused with 503 (busy).",
        },
        maxTokensDefault: {
          type: "integer",
          minimum: 1,
          maximum: 1048576,
          default: 512,
          description: "Completion length in tokens when a request does not set max_tokens.",
        },
        parallel: {
          type: "integer",
          minimum: 1,
          maximum: 64,
          description:
            "Conversations decoded together in one batch, each with its own KV cache; default: the device " +
            "profile's parallelSequences. Lowered to what the memory left after the model holds.",
        },
      },
    },
    recommend: {
      type: "object",
      default: {},
      additionalProperties: false,
      description: "How `clawbox recommend` chooses a model for this device.",
      properties: {
        minTokensPerSecond: {
          type: "number",
          exclusiveMinimum: 0,
          default: 5,
          description: "Slowest acceptable generation speed in tokens/s (about reading speed).",
        },
        languages: {
          type: "array",
          items: { type: "string", pattern: "^[a-z]{2}$" },
          uniqueItems: true,
          description: 'ISO 639-1 codes the assistant must handle well, e.g. ["en", "zh"].',
        },
      },
    },
    bridges: bridgesSchema(),
    jobs: {
      type: "object",
      default: {},
      additionalProperties: false,
      description: "Scheduled jobs: retention, SQLite maintenance, backups (README: Day-two operations).",
      properties: {
        timezone: {
          type: "string",
          minLength: 1,
          description:
            'Time zone of the schedules, e.g. "Europe/Berlin". Default: the device time zone set in the ' +
            "wizard or dashboard, else the system's.",
        },
        retention: {
          type: "object",
          default: {},
          additionalProperties: false,
          description: "Deletes old conversations, delivered outbox entries and old log files.",
          properties: {
            schedule: cron("0 3 * * *", "When to run (default 03:00 daily)."),
            conversationDays: {
              type: "integer",
              minimum: 1,
              default: 90,
              description: "Conversations (and messages) older than this many days are deleted.",
            },
            outboxDays: {
              type: "integer",
              minimum: 1,
              default: 7,
              description: "Delivered outbox entries are kept this many days (for edits and dedup).",
            },
            logDays: {
              type: "integer",
              minimum: 1,
              default: 14,
              description: "Log files (*.log, rotated *.log.N, *.gz) older than this many days are deleted.",
            },
            logDirs: {
              type: "array",
              items: { type: "string", minLength: 1 },
              description: "Folders with log files. Default: <dataDir>/logs (the device logs to journald).",
            },
          },
        },
        maintenance: {
          type: "object",
          default: {},
          additionalProperties: false,
          description: "SQLite upkeep: WAL checkpoint + PRAGMA optimize, and a weekly integrity check.",
          properties: {
            schedule: cron("30 3 * * *", "Checkpoint and optimize (default 03:30 daily)."),
            integritySchedule: cron("0 4 * * 0", "PRAGMA integrity_check (default Sundays 04:00)."),
          },
        },
        backup: {
          type: "object",
          default: {},
          additionalProperties: false,
          description:
            "Encrypted backups of the database, config and secrets (needs a passphrase: clawbox backup passphrase).",
          properties: {
            schedule: cron("0 2 * * *", "When to back up (default 02:00 daily)."),
            keep: {
              type: "integer",
              minimum: 1,
              maximum: 365,
              default: 7,
              description: "Newest backups kept; older ones are deleted after each new backup.",
            },
            dir: {
              type: "string",
              minLength: 1,
              description: "Folder of the backup archives. Default: <dataDir>/backups.",
            },
          },
        },
      },
    },
    backends: BACKENDS_SCHEMA,
    routing: ROUTING_SCHEMA,
    log: {
      type: "object",
      default: {},
      additionalProperties: false,
      description: "Logging (JSON lines on stderr / the journal).",
      properties: {
        level: {
          type: "string",
          enum: [...LOG_LEVELS],
          default: "info",
          description: "Least severe level written.",
        },
      },
    },
  },
} as const;
