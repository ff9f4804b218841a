import type { Database } from "better-sqlite3";
import type { OutboxEntry } from "../bridges/outbox.js";
import type { BridgeLogger } from "../bridges/types.js";
import type { ReminderStore } from "./reminder-store.js";

/** A bridge's outbox as the scheduler sees it (BridgeRunner storeOutbound / sendOutbound). */
export interface ReminderOutlet {
  storeOutbound(
    key: string,
    target: { chatId: string; threadId?: string },
    text: string,
  ): OutboxEntry[] | null;
  sendOutbound(entries: OutboxEntry[]): Promise<void>;
}

export interface ReminderSchedulerOptions {
  db: Database;
  store: ReminderStore;
  /** The running bridge of an id, or undefined (stopped, disabled, removed: its reminders wait). */
  outlet: (bridgeId: string) => ReminderOutlet | undefined;
  log: BridgeLogger;
  /** Injected clock (tests); default the system clock. */
  now?: () => Date;
  /**
   * Longest sleep between checks, ms. Default 60 000: a changed system clock or time zone is noticed
   * within a minute even when the next reminder is days away.
   */
  maxSleepMs?: number;
}

/** What a reminder looks like in the chat. */
export const reminderText = (text: string) => `⏰ Reminder: ${text}`;

/**
 * Delivers due reminders through the outbox of the bridge and chat they were set in, exactly once: for
 * each due reminder ONE SQLite transaction claims the run (one-off → done, repeating → next run) and
 * inserts the outbox pieces under a key made of the reminder id and the claimed due time. A crash before
 * the commit leaves the reminder due (claimed again at the next start); after it, the outbox owns the
 * delivery (pending pieces go out on every connect). A reminder missed while the agent was down is
 * delivered once at start (a repeating one then moves to its next future run). Timer: sleeps until the
 * soonest next run (at most `maxSleepMs`), re-armed by `poke()` after a change.
 */
export class ReminderScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking: Promise<number> | null = null;

  constructor(private readonly o: ReminderSchedulerOptions) {}

  /** Delivers what is due now and keeps checking until `stop()`. */
  start(): void {
    this.running = true;
    void this.tick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** Re-arms the timer (a reminder was added or removed). */
  poke(): void {
    if (this.running) this.arm();
  }

  /**
   * One delivery round: claims every due reminder whose bridge is running and has connected once, stores
   * its text in that bridge's outbox (same transaction), then sends. Returns the number of reminders
   * claimed. Concurrent calls join the running round.
   */
  tick(): Promise<number> {
    this.ticking ??= this.round().finally(() => {
      this.ticking = null;
      if (this.running) this.arm();
    });
    return this.ticking;
  }

  private async round(): Promise<number> {
    const { db, store, log } = this.o;
    const now = this.o.now?.() ?? new Date();
    const sends: { outlet: ReminderOutlet; entries: OutboxEntry[] }[] = [];
    for (const r of store.due(now)) {
      const outlet = this.o.outlet(r.bridgeId);
      if (!outlet) continue;
      const entries = db.transaction(() => {
        if (!store.claimDue(r, now)) return null;
        const key = `reminder:${r.id}:${r.nextRunAt}`;
        const stored = outlet.storeOutbound(
          key,
          { chatId: r.chatId, threadId: r.threadId ?? undefined },
          reminderText(r.text),
        );
        // Not connected yet since start: undo the claim (throwing rolls the transaction back).
        if (stored === null) throw new NotReady();
        return stored;
      });
      try {
        const stored = entries();
        if (stored) {
          sends.push({ outlet, entries: stored });
          log.info({ reminder: r.id, bridge: r.bridgeId, due: r.nextRunAt }, "reminder stored for delivery");
        }
      } catch (err) {
        if (!(err instanceof NotReady)) throw err;
      }
    }
    await Promise.all(sends.map((s) => s.outlet.sendOutbound(s.entries).catch(() => {})));
    return sends.length;
  }

  private arm(): void {
    clearTimeout(this.timer);
    const now = (this.o.now?.() ?? new Date()).getTime();
    const soonest = this.o.store.soonest()?.getTime() ?? Number.POSITIVE_INFINITY;
    const max = this.o.maxSleepMs ?? 60_000;
    // Still due after a round = its bridge is not running: wait for its connect (onConnected ticks) or max.
    const wait = soonest <= now ? max : Math.min(soonest - now, max);
    this.timer = setTimeout(() => void this.tick(), wait);
    this.timer.unref?.();
  }
}

class NotReady extends Error {}
