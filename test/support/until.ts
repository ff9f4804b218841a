type Maybe<T> = T | undefined | null | false;

/**
 * Polls `get` every 20 ms until it returns something truthy and returns that; throws "timed out waiting for
 * <what>" after `ms` (default 15 000). `E2E_DEBUG=1` prints how long each wait took.
 */
export async function until<T>(
  get: () => Maybe<T> | Promise<Maybe<T>>,
  what: string,
  ms = 15_000,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await get();
    if (v) {
      if (process.env.E2E_DEBUG) process.stderr.write(`${what}: ${Date.now() - t0} ms\n`);
      return v;
    }
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whitespace folded, for comparing a reply that arrived in pieces with the model's whole answer. */
export const squash = (s: string): string => s.replace(/\s+/g, " ").trim();
