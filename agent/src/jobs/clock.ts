/**
 * The time source of the job scheduler: wall-clock time plus one-shot timers. The agent uses
 * `SYSTEM_CLOCK`; tests pass a `ManualClock` and move time forward themselves, so "runs every day at
 * 03:00" is checked in milliseconds without waiting or patching globals.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns a handle for `clear`. */
  setTimer(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  /** Told about work a fired timer started (ManualClock waits for it); optional. */
  track?(work: Promise<unknown>): void;
}

/** Longest setTimeout Node accepts (2^31 − 1 ms ≈ 24.8 days); longer delays fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Real time: Date.now and unref'd setTimeout (a pending job never keeps the process alive). */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    t.unref();
    return t;
  },
  clear(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/**
 * A clock that only moves when told. `advanceTo(t)` fires every timer due up to `t` in time order,
 * setting `now()` to each timer's due time first, and waits for the work the fired callback reported
 * through `track` before firing the next one.
 */
export class ManualClock implements Clock {
  private time: number;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  private inFlight = new Set<Promise<unknown>>();

  constructor(start: Date | number) {
    this.time = typeof start === "number" ? start : start.getTime();
  }

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }

  clear(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  track(work: Promise<unknown>): void {
    this.inFlight.add(work);
    work.finally(() => this.inFlight.delete(work)).catch(() => {});
  }

  /** Moves time to `target` (ms or Date), firing due timers in order. */
  async advanceTo(target: Date | number): Promise<void> {
    const end = typeof target === "number" ? target : target.getTime();
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      const [id, timer] = due;
      this.timers.delete(id);
      this.time = Math.max(this.time, timer.at);
      timer.fn();
      while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    }
    this.time = Math.max(this.time, end);
  }

  /** Pending timers' due times, ms (for assertions). */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.at).sort((a, b) => a - b);
  }
}
