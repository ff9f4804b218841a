/**
 * Token buckets keyed by a string (a sender, a bridge): each key may spend `burst` events at once and
 * regains one every `refillMs`. Used for the per-sender inbound limit and for pairing replies (so a
 * stranger cannot make the bot spam). Memory is bounded: full, idle buckets are dropped.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly refillMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Spends one token of `key`; true when allowed, false when the key is over its limit. */
  take(key: string): boolean {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    const refilled = Math.min(this.burst, b.tokens + (t - b.at) / this.refillMs);
    if (refilled < 1) {
      this.buckets.set(key, { tokens: refilled, at: t });
      return false;
    }
    this.buckets.set(key, { tokens: refilled - 1, at: t });
    if (this.buckets.size > 10_000) this.sweep(t);
    return true;
  }

  private sweep(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (t - b.at) / this.refillMs >= this.burst) this.buckets.delete(k);
    }
  }
}
