import pino, { type Logger } from "pino";

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

/** JSON logger, one event per line, on stderr so stdout stays clean for `--json` output. */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: opts.name ?? "clawbox",
      level: opts.level ?? process.env.CLAWBOX_LOG_LEVEL ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    pino.destination(2),
  );
}
