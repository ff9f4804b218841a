import { createRequire } from "node:module";
import pino, { type DestinationStream, type Logger } from "pino";

/**
 * Keys whose values are never logged (bearer tokens, passwords, setup codes, bridge tokens).
 * pino replaces them with "[redacted]" wherever they appear at these paths.
 */
export const REDACT_PATHS = [
  "token",
  "*.token",
  "password",
  "*.password",
  "apiToken",
  "*.apiToken",
  "secret",
  "*.secret",
  "setupCode",
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-setup-code"]',
];

/**
 * Where log lines go: stderr, so stdout stays clean for `--json` output. On a terminal (stderr is a TTY),
 * pino-pretty renders each event as one readable, coloured line; elsewhere (systemd/journald, pipes, files)
 * they stay JSON, one event per line, for machines to read. `CLAWBOX_LOG_FORMAT=json|pretty` overrides.
 * pino-pretty is loaded only when used (synchronously, in-process: no transport worker thread).
 */
export function logDestination(env: NodeJS.ProcessEnv = process.env): DestinationStream {
  const format = env.CLAWBOX_LOG_FORMAT || (process.stderr.isTTY ? "pretty" : "json");
  if (format !== "pretty") return pino.destination(2);
  const pretty = createRequire(import.meta.url)("pino-pretty") as typeof import("pino-pretty");
  return pretty({
    destination: 2,
    colorize: process.stderr.isTTY === true,
    translateTime: "SYS:HH:MM:ss",
    ignore: "pid,hostname,name",
    singleLine: true,
    sync: true,
  });
}

/** Logger on `logDestination()`, secrets redacted. */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: opts.name ?? "clawbox",
      level: opts.level ?? process.env.CLAWBOX_LOG_LEVEL ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    logDestination(),
  );
}
