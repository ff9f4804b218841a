import type { Database } from "better-sqlite3";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { firstRun, nextRun, type Schedule } from "./schedule.js";

/** One stored reminder (`reminders` table). Times are ISO 8601 UTC. */
export interface Reminder {
  id: number;
  bridgeId: string;
  chatId: string;
  threadId: string | null;
  /** Sender id that set it, or `dashboard:<user>`. */
  createdBy: string;
  text: string;
  /** Six-field cron pattern of a repeating reminder; null for a one-off. */
  cron: string | null;
  /** The owner's time words ("weekday 08:00", "tomorrow 09:00"). */
  label: string;
  /** IANA zone the wall-clock times are read in (the device's at creation). */
  timezone: string;
  /** Next delivery; null once done or cancelled. */
  nextRunAt: string | null;
  status: "active" | "done" | "cancelled";
  runs: number;
  lastRunAt: string | null;
  createdAt: string;
}

interface Row {
  id: number;
  bridge_id: string;
  chat_id: string;
  thread_id: string | null;
  created_by: string;
  text: string;
  cron: string | null;
  label: string;
  timezone: string;
  next_run_at: string | null;
  status: Reminder["status"];
  runs: number;
  last_run_at: string | null;
  created_at: string;
}

const toReminder = (r: Row): Reminder => ({
  id: r.id,
  bridgeId: r.bridge_id,
  chatId: r.chat_id,
  threadId: r.thread_id,
  createdBy: r.created_by,
  text: r.text,
  cron: r.cron,
  label: r.label,
  timezone: r.timezone,
  nextRunAt: r.next_run_at,
  status: r.status,
  runs: r.runs,
  lastRunAt: r.last_run_at,
  createdAt: r.created_at,
});

/** Most active reminders per chat: a chat is a person or a small group; 50 keeps a list readable. */
export const MAX_REMINDERS_PER_CHAT = 50;
/** Longest reminder text, chars (a reminder is a note, not a document). */
export const MAX_REMINDER_TEXT = 1000;

/**
 * Reminders in SQLite. `claimDue` is the delivery step's half: it advances (or closes) a due reminder and
 * must run in the same transaction as the outbox insert, so a reminder is stored for delivery exactly once
 * whatever crashes when.
 */
export class ReminderStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Stores a reminder for a chat of a bridge. Throws UserError `reminder_limit` beyond
   * MAX_REMINDERS_PER_CHAT active ones, `reminder_text` for a text over MAX_REMINDER_TEXT chars,
   * `reminder_past` when a one-off's time has passed.
   */
  add(input: {
    bridgeId: string;
    chatId: string;
    threadId?: string | null;
    createdBy: string;
    text: string;
    schedule: Schedule;
    timezone: string;
  }): Reminder {
    const now = this.now();
    if (input.text.length > MAX_REMINDER_TEXT) {
      throw new UserError(`a reminder holds at most ${MAX_REMINDER_TEXT} characters`, {
        code: ErrorCode.REMINDER_TEXT,
        fix: "shorten the message",
      });
    }
    const active = this.db
      .prepare("SELECT COUNT(*) FROM reminders WHERE bridge_id = ? AND chat_id = ? AND status = 'active'")
      .pluck()
      .get(input.bridgeId, input.chatId) as number;
    if (active >= MAX_REMINDERS_PER_CHAT) {
      throw new UserError(`this chat already has ${MAX_REMINDERS_PER_CHAT} reminders`, {
        code: ErrorCode.REMINDER_LIMIT,
        fix: "remove old ones with /forget <id> (see /reminders)",
      });
    }
    const first = firstRun(input.schedule, input.timezone, now);
    if (first.getTime() <= now.getTime()) {
      throw new UserError("that time has already passed", {
        code: ErrorCode.REMINDER_PAST,
        fix: "pick a time still to come",
      });
    }
    const info = this.db
      .prepare(
        `INSERT INTO reminders (bridge_id, chat_id, thread_id, created_by, text, cron, label, timezone,
           next_run_at, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)`,
      )
      .run(
        input.bridgeId,
        input.chatId,
        input.threadId ?? null,
        input.createdBy,
        input.text,
        input.schedule.kind === "every" ? input.schedule.cron : null,
        input.schedule.label,
        input.timezone,
        first.toISOString(),
        now.toISOString(),
      );
    return this.get(Number(info.lastInsertRowid)) as Reminder;
  }

  get(id: number): Reminder | null {
    const row = this.db.prepare("SELECT * FROM reminders WHERE id = ?").get(id) as Row | undefined;
    return row ? toReminder(row) : null;
  }

  /** Active reminders, soonest first; only one chat's with `chat`. */
  list(chat?: { bridgeId: string; chatId: string }): Reminder[] {
    const rows = chat
      ? this.db
          .prepare(
            "SELECT * FROM reminders WHERE status = 'active' AND bridge_id = ? AND chat_id = ? ORDER BY next_run_at, id",
          )
          .all(chat.bridgeId, chat.chatId)
      : this.db.prepare("SELECT * FROM reminders WHERE status = 'active' ORDER BY next_run_at, id").all();
    return (rows as Row[]).map(toReminder);
  }

  /** Cancels an active reminder (only within `chat` when given). Returns false when there was none. */
  cancel(id: number, chat?: { bridgeId: string; chatId: string }): boolean {
    const r = this.get(id);
    if (r?.status !== "active") return false;
    if (chat && (r.bridgeId !== chat.bridgeId || r.chatId !== chat.chatId)) return false;
    this.db.prepare("UPDATE reminders SET status = 'cancelled', next_run_at = NULL WHERE id = ?").run(id);
    return true;
  }

  /** Active reminders due at `now` (next_run_at ≤ now), oldest due first. */
  due(now: Date): Reminder[] {
    return (
      this.db
        .prepare(
          "SELECT * FROM reminders WHERE status = 'active' AND next_run_at <= ? ORDER BY next_run_at, id",
        )
        .all(now.toISOString()) as Row[]
    ).map(toReminder);
  }

  /** The soonest next run of any active reminder, or null. */
  soonest(): Date | null {
    const at = this.db
      .prepare("SELECT MIN(next_run_at) FROM reminders WHERE status = 'active'")
      .pluck()
      .get() as string | null;
    return at ? new Date(at) : null;
  }

  /**
   * Claims the run of `r` due at `r.nextRunAt`: a one-off becomes done; a repeating one moves to its next
   * run after `now` (runs missed while the agent was down are not repeated: one delivery, then the next
   * future one). Returns false when another claim got there first (the row moved on): deliver nothing.
   */
  claimDue(r: Reminder, now: Date): boolean {
    const next = r.cron ? nextRun(r.cron, r.timezone, now) : null;
    const info = this.db
      .prepare(
        `UPDATE reminders SET runs = runs + 1, last_run_at = ?, next_run_at = ?, status = ?
         WHERE id = ? AND status = 'active' AND next_run_at = ?`,
      )
      .run(now.toISOString(), next?.toISOString() ?? null, next ? "active" : "done", r.id, r.nextRunAt);
    return info.changes === 1;
  }
}
