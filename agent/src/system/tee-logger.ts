import pino, { type Logger } from "pino";
import { logDestination, REDACT_PATHS } from "../log.js";
import type { LogRing } from "./log-ring.js";

/**
 * Like log.ts createLogger (stderr: pretty on a terminal, else JSON lines; secrets redacted) but also writes every line into `ring`
 * for the dashboard's log view. Redaction happens before either stream sees a line.
 */
export function createTeeLogger(level: string, ring: LogRing): Logger {
  const streamLevel = level === "silent" ? "fatal" : (level as pino.Level);
  return pino(
    { name: "clawbox", level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } },
    pino.multistream([
      { level: streamLevel, stream: logDestination() },
      { level: streamLevel, stream: ring },
    ]),
  );
}
