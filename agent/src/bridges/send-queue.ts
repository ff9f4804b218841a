import { sleep } from "./backoff.js";
import { RateLimitedError } from "./types.js";

export interface SendQueueOptions {
  /** Minimum gap between two operations on one chat, ms (ChannelCapabilities.minSendIntervalMs). Default 0. */
  minIntervalMs?: number;
  /** How many RateLimitedErrors one operation may meet before the error is passed on. Default 5. */
  maxRateLimitRetries?: number;
  /** Upper bound for one retry_after wait, ms (a platform asking for an hour is not waited on inline). Default 120 000. */
  maxRetryAfterMs?: number;
  now?: () => number;
}

/**
 * Per-chat serial queues for sends and edits. Operations of one chat run one after another, at least
 * `minIntervalMs` apart (Telegram's FAQ: about one message per second per chat); different chats run in
 * parallel. When an operation throws `RateLimitedError` (HTTP 429 with retry_after), that chat pauses for
 * `retryAfterMs` and the operation is retried; other errors are passed to the caller unchanged.
 */
export class SendQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly lastRun = new Map<string, number>();
  private readonly pausedUntil = new Map<string, number>();

  constructor(private readonly opts: SendQueueOptions = {}) {}

  /** Runs `op` in `chatId`'s queue; resolves/rejects with its result. */
  run<T>(chatId: string, op: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(chatId) ?? Promise.resolve();
    const next = previous.then(
      () => this.execute(chatId, op),
      () => this.execute(chatId, op),
    );
    this.tails.set(chatId, next);
    const cleanup = () => {
      if (this.tails.get(chatId) === next) this.tails.delete(chatId);
    };
    next.then(cleanup, cleanup);
    return next;
  }

  /** Number of chats with queued or running operations. */
  get activeChats(): number {
    return this.tails.size;
  }

  private async execute<T>(chatId: string, op: () => Promise<T>): Promise<T> {
    const now = this.opts.now ?? Date.now;
    const maxRetries = this.opts.maxRateLimitRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const gap = this.opts.minIntervalMs ?? 0;
      const ready = Math.max((this.lastRun.get(chatId) ?? 0) + gap, this.pausedUntil.get(chatId) ?? 0);
      const wait = ready - now();
      if (wait > 0) await sleep(wait);
      this.lastRun.set(chatId, now());
      try {
        return await op();
      } catch (err) {
        if (!(err instanceof RateLimitedError) || attempt >= maxRetries) throw err;
        const pause = Math.min(err.retryAfterMs, this.opts.maxRetryAfterMs ?? 120_000);
        this.pausedUntil.set(chatId, now() + pause);
      }
    }
  }
}
