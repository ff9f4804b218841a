/**
 * Reconnect delays: exponential backoff with "equal jitter" (half fixed, half random), as described in
 * the AWS Architecture Blog "Exponential Backoff and Jitter" (2015): many bridges reconnecting after the
 * same outage spread out instead of hammering the server together, yet none waits less than half the step.
 */

export interface BackoffOptions {
  /** First delay, ms. Default 1000. */
  baseMs?: number;
  /** Ceiling of the exponential step, ms. Default 60 000 (one minute: a phone-grade outage). */
  maxMs?: number;
  /** Random source in [0, 1); pass a fixed one in tests. Default Math.random. */
  random?: () => number;
}

/**
 * Delay before reconnect attempt `attempt` (0 = first retry), ms:
 * step = min(maxMs, baseMs × 2^attempt); delay = step/2 + random × step/2, so in [step/2, step).
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 1000;
  const max = opts.maxMs ?? 60_000;
  const random = opts.random ?? Math.random;
  const step = Math.min(max, base * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Resolves after `ms`, or rejects with the signal's reason when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
