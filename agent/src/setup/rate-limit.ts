/**
 * Counts failures per key (client address) in a sliding time window. Used for wrong setup codes and wrong
 * logins: more than 5 wrong codes within a minute from one address → 429, so a code cannot be guessed.
 */
export class FailureLimiter {
  readonly #failures = new Map<string, number[]>();

  constructor(
    /** Failures allowed in the window; the next request is refused. */
    readonly maxFailures: number,
    /** Window length, ms. */
    readonly windowMs: number,
    /** Clock, ms since the epoch (tests pass their own). */
    private readonly now: () => number = Date.now,
  ) {}

  /** Records one failure for `key`. */
  fail(key: string): void {
    const list = this.#recent(key);
    list.push(this.now());
    this.#failures.set(key, list);
    if (this.#failures.size > 10_000) this.#prune();
  }

  /** True when `key` has more than maxFailures … i.e. reached the limit: further attempts are refused. */
  blocked(key: string): boolean {
    return this.#recent(key).length >= this.maxFailures;
  }

  /** Seconds until `key` may try again (0 when not blocked), for the Retry-After header. */
  retryAfterSeconds(key: string): number {
    const list = this.#recent(key);
    if (list.length < this.maxFailures) return 0;
    const oldest = list[list.length - this.maxFailures] as number;
    return Math.max(1, Math.ceil((oldest + this.windowMs - this.now()) / 1000));
  }

  #recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.#failures.get(key) ?? []).filter((t) => t > cutoff);
  }

  #prune(): void {
    for (const key of [...this.#failures.keys()]) {
      const recent = this.#recent(key);
      if (recent.length === 0) this.#failures.delete(key);
      else this.#failures.set(key, recent);
    }
  }
}
