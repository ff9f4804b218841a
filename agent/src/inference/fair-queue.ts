import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/** Knobs of a {@link FairQueue}. */
export interface FairQueueOptions {
  /** Jobs running at once (one per key at most). Default 1: one generation at a time on small devices. */
  concurrency?: number;
  /** Jobs allowed to wait; one more is refused with `busy` (503). Default 64. */
  maxQueued?: number;
}

/** Per-job options. */
export interface EnqueueOptions {
  /** Aborting it removes a waiting job at once (`cancelled`) or aborts a running job's signal. */
  signal?: AbortSignal;
  /** Whole-job time limit in ms, waiting + running; then `timeout` (504). Undefined or ≤ 0: none. */
  timeoutMs?: number;
}

/** The job body. `signal` aborts on caller cancel or `timeout`; its `reason` is the UserError (`cancelled` / timeout). */
export type QueueTask<T> = (signal: AbortSignal) => Promise<T>;

interface Job {
  key: string;
  seq: number;
  run: (signal: AbortSignal) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  controller: AbortController;
  cleanup: () => void;
  started: boolean;
}

/** UserError for a job cancelled by its caller (HTTP 499, "client closed request"). */
export function cancelledError(): UserError {
  return new UserError("The request was cancelled.", {
    code: ErrorCode.CANCELLED,
    status: 499,
    fix: "Nothing to do; send the request again if you still want an answer.",
  });
}

/** UserError for a job that ran past its time limit (HTTP 504). */
export function timeoutError(timeoutMs: number): UserError {
  return new UserError(`The request did not finish within its time limit of ${timeoutMs} ms.`, {
    code: ErrorCode.TIMEOUT,
    status: 504,
    fix: "Ask for fewer tokens (max_tokens), send a shorter conversation, or raise the timeout.",
  });
}

/**
 * A fair job queue keyed by conversation: round-robin between keys, FIFO inside one key, at most one running
 * job per key and `concurrency` running jobs overall. Among keys with waiting jobs, the next to start is the
 * one whose last start is oldest (never-started keys first, ties by arrival), so a conversation that queued
 * ten requests cannot starve one that queued a single request.
 *
 * Errors (all UserError): `busy` 503 when `maxQueued` jobs already wait, `cancelled` 499 when the caller's
 * signal aborts a waiting job, `timeout` 504 when a waiting job's time runs out. A running job is never
 * rejected by the queue: its signal is aborted (reason = that UserError) and the task decides what to return.
 */
export class FairQueue {
  private concurrency: number;
  private readonly maxQueued: number;
  private readonly lanes = new Map<string, Job[]>();
  /** Start counter value of each key's last start; deleted when the key is idle with nothing waiting. */
  private readonly lastStart = new Map<string, number>();
  private readonly running = new Set<Job>();
  private readonly runningKeys = new Set<string>();
  private waiting = 0;
  private seq = 0;
  private starts = 0;
  private paused = false;
  private idleWaiters: Array<() => void> = [];

  constructor(opts: FairQueueOptions = {}) {
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 1));
    this.maxQueued = Math.max(0, Math.floor(opts.maxQueued ?? 64));
  }

  /** Jobs waiting to start. */
  get queued(): number {
    return this.waiting;
  }

  /** Jobs running now. */
  get active(): number {
    return this.running.size;
  }

  /**
   * Queues `task` under `key` and resolves/rejects with its outcome.
   * Throws (rejects) `busy`, `cancelled` or `timeout` as described on the class.
   */
  enqueue<T>(key: string, task: QueueTask<T>, opts: EnqueueOptions = {}): Promise<T> {
    if (opts.signal?.aborted) return Promise.reject(cancelledError());
    if (this.waiting >= this.maxQueued) {
      return Promise.reject(
        new UserError(`The assistant is busy: ${this.waiting} requests are already waiting.`, {
          code: ErrorCode.BUSY,
          status: 503,
          fix: "Retry in a few seconds.",
        }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => this.abortJob(job, cancelledError());
      const job: Job = {
        key,
        seq: this.seq++,
        run: task,
        resolve: resolve as (v: unknown) => void,
        reject,
        controller,
        started: false,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          opts.signal?.removeEventListener("abort", onAbort);
        },
      };
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        const ms = opts.timeoutMs;
        timer = setTimeout(() => this.abortJob(job, timeoutError(ms)), ms);
        timer.unref?.();
      }
      const lane = this.lanes.get(key);
      if (lane) lane.push(job);
      else this.lanes.set(key, [job]);
      this.waiting++;
      this.dispatch();
    });
  }

  /**
   * Changes how many jobs run at once (≥ 1); more start at once when raised, running ones finish when
   * lowered. The engine sets it to the loaded model's parallel sequences.
   */
  setConcurrency(n: number): void {
    this.concurrency = Math.max(1, Math.floor(n));
    this.dispatch();
  }

  /** Stops starting jobs (running ones continue; new ones wait). */
  pause(): void {
    this.paused = true;
  }

  /** Starts jobs again after {@link pause}. */
  resume(): void {
    this.paused = false;
    this.dispatch();
  }

  /** Resolves when no job is running (waiting jobs may remain, e.g. while paused). */
  onIdle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Rejects every waiting job with `reason` and aborts the running ones' signals with it. */
  cancelAll(reason: UserError): void {
    for (const lane of [...this.lanes.values()]) for (const job of [...lane]) this.abortJob(job, reason);
    for (const job of [...this.running]) job.controller.abort(reason);
  }

  private abortJob(job: Job, reason: UserError): void {
    if (job.started) {
      if (!job.controller.signal.aborted) job.controller.abort(reason);
      return;
    }
    const lane = this.lanes.get(job.key);
    const index = lane?.indexOf(job) ?? -1;
    if (!lane || index < 0) return;
    lane.splice(index, 1);
    this.waiting--;
    if (lane.length === 0) {
      this.lanes.delete(job.key);
      if (!this.runningKeys.has(job.key)) this.lastStart.delete(job.key);
    }
    job.cleanup();
    job.reject(reason);
  }

  /** The waiting key to serve next: oldest last start first (never started = oldest), ties by arrival. */
  private pickKey(): string | undefined {
    let best: string | undefined;
    let bestStart = Number.POSITIVE_INFINITY;
    let bestSeq = Number.POSITIVE_INFINITY;
    for (const [key, lane] of this.lanes) {
      if (this.runningKeys.has(key) || lane.length === 0) continue;
      const start = this.lastStart.get(key) ?? -1;
      const seq = lane[0]?.seq ?? Number.POSITIVE_INFINITY;
      if (start < bestStart || (start === bestStart && seq < bestSeq)) {
        best = key;
        bestStart = start;
        bestSeq = seq;
      }
    }
    return best;
  }

  private dispatch(): void {
    while (!this.paused && this.running.size < this.concurrency) {
      const key = this.pickKey();
      if (key === undefined) return;
      const lane = this.lanes.get(key) as Job[];
      const job = lane.shift() as Job;
      if (lane.length === 0) this.lanes.delete(key);
      this.waiting--;
      this.start(job);
    }
  }

  private start(job: Job): void {
    job.started = true;
    this.running.add(job);
    this.runningKeys.add(job.key);
    this.lastStart.set(job.key, this.starts++);
    let outcome: Promise<unknown>;
    try {
      outcome = job.run(job.controller.signal);
    } catch (err) {
      outcome = Promise.reject(err);
    }
    outcome.then(
      (value) => this.finish(job, () => job.resolve(value)),
      (err) => this.finish(job, () => job.reject(err)),
    );
  }

  private finish(job: Job, settle: () => void): void {
    this.running.delete(job);
    this.runningKeys.delete(job.key);
    if (!this.lanes.has(job.key)) this.lastStart.delete(job.key);
    job.cleanup();
    settle();
    if (this.running.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
    this.dispatch();
  }
}
