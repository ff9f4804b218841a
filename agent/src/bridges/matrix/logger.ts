import { type Logger, logger as sdkRootLogger } from "matrix-js-sdk/lib/logger.js";
import type { BridgeLogger } from "../types.js";

/**
 * matrix-js-sdk's `Logger` over the bridge logger. The SDK is chatty (sync loop, every request at debug),
 * so its trace/debug/info go to debug and warn/error to warn: a sync retry is not an agent error.
 * The SDK does not log access tokens in request URLs (it sends them as a header).
 */
export function matrixLogger(log: BridgeLogger, namespace = "matrix-sdk"): Logger {
  const text = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : String(m))).join(" ");
  return {
    trace: (...msg: unknown[]) => log.debug({ lib: namespace }, text(msg)),
    debug: (...msg: unknown[]) => log.debug({ lib: namespace }, text(msg)),
    info: (...msg: unknown[]) => log.debug({ lib: namespace }, text(msg)),
    warn: (...msg: unknown[]) => log.warn({ lib: namespace }, text(msg)),
    error: (...msg: unknown[]) => log.warn({ lib: namespace }, text(msg)),
    getChild: (child: string) => matrixLogger(log, `${namespace}:${child}`),
  };
}

/**
 * Parts of matrix-js-sdk log through its process-wide root logger (loglevel, to the console) instead of the
 * client's `logger` option: push-rule defaults, sync token lookups, to-device queues. Keep only its errors.
 */
export function quietMatrixRootLogger(): void {
  (sdkRootLogger as unknown as { setLevel?: (level: string, persist?: boolean) => void }).setLevel?.(
    "error",
    false,
  );
}
