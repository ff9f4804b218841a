import type { Database } from "better-sqlite3";

/** One stored reply piece (a chunk that fits the platform limit). */
export interface OutboxEntry {
  /** Deterministic id: `<bridge>/<chat>/<inbound message id>/<chunk index>`, so re-handling dedups. */
  id: string;
  bridgeId: string;
  chatId: string;
  threadId: string | null;
  text: string;
  status: "pending" | "sent" | "failed";
  platformMessageId: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

interface Row {
  id: string;
  bridge_id: string;
  chat_id: string;
  thread_id: string | null;
  text: string;
  status: OutboxEntry["status"];
  platform_message_id: string | null;
  attempts: number;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

const toEntry = (r: Row): OutboxEntry => ({
  id: r.id,
  bridgeId: r.bridge_id,
  chatId: r.chat_id,
  threadId: r.thread_id,
  text: r.text,
  status: r.status,
  platformMessageId: r.platform_message_id,
  attempts: r.attempts,
  lastError: r.last_error,
  createdAt: r.created_at,
  sentAt: r.sent_at,
});

/**
 * The persisted outbox (SQLite `bridge_outbox`, WAL): a reply is stored BEFORE it is sent and marked sent
 * after the platform confirmed it, so a crash, restart or disconnect in between delivers it later. Ids are
 * deterministic, so storing the same reply twice keeps one row (exactly once on our side; the window
 * between the platform's confirmation and `markSent` is closed by adapters that pass `outboxId` to the
 * platform as an idempotency key where one exists).
 */
export class Outbox {
  private readonly stmts;

  constructor(private readonly db: Database) {
    this.stmts = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO bridge_outbox (id, bridge_id, chat_id, thread_id, text, status, created_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?)`,
      ),
      get: db.prepare("SELECT * FROM bridge_outbox WHERE id = ?"),
      sent: db.prepare(
        "UPDATE bridge_outbox SET status = 'sent', platform_message_id = ?, sent_at = ?, attempts = attempts + 1 WHERE id = ?",
      ),
      attempt: db.prepare("UPDATE bridge_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?"),
      failed: db.prepare(
        "UPDATE bridge_outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
      ),
      pending: db.prepare(
        "SELECT * FROM bridge_outbox WHERE bridge_id = ? AND status = 'pending' ORDER BY created_at, rowid",
      ),
      prune: db.prepare("DELETE FROM bridge_outbox WHERE status != 'pending' AND created_at < ?"),
    };
  }

  /**
   * Stores reply pieces as pending, in one transaction (all or none), in order. Pieces whose id already
   * exists are left as they are (sent stays sent). Returns the stored entries (existing ones included).
   */
  enqueue(
    pieces: { id: string; bridgeId: string; chatId: string; threadId?: string | null; text: string }[],
  ): OutboxEntry[] {
    const tx = this.db.transaction(() => {
      for (const p of pieces) {
        this.stmts.insert.run(
          p.id,
          p.bridgeId,
          p.chatId,
          p.threadId ?? null,
          p.text,
          new Date().toISOString(),
        );
      }
      return pieces.map((p) => this.get(p.id) as OutboxEntry);
    });
    return tx();
  }

  get(id: string): OutboxEntry | null {
    const row = this.stmts.get.get(id) as Row | undefined;
    return row ? toEntry(row) : null;
  }

  /** Marks a piece delivered with the platform's message id. */
  markSent(id: string, platformMessageId: string): void {
    this.stmts.sent.run(platformMessageId, new Date().toISOString(), id);
  }

  /** Counts a failed attempt (transient error; the piece stays pending). The message must hold no secret. */
  recordAttempt(id: string, error: string): void {
    this.stmts.attempt.run(error.slice(0, 500), id);
  }

  /** Gives up on a piece (permanent error: chat gone, bot blocked). */
  markFailed(id: string, error: string): void {
    this.stmts.failed.run(error.slice(0, 500), id);
  }

  /** Pending pieces of a bridge, oldest first (delivered on start and after every reconnect). */
  pending(bridgeId: string): OutboxEntry[] {
    return (this.stmts.pending.all(bridgeId) as Row[]).map(toEntry);
  }

  /** Deletes sent/failed rows older than `maxAgeMs` (default 7 days). Returns rows deleted. */
  prune(maxAgeMs = 7 * 24 * 3600_000): number {
    return this.stmts.prune.run(new Date(Date.now() - maxAgeMs).toISOString()).changes;
  }
}
