import type { Database } from "better-sqlite3";

/**
 * Remembers which inbound messages were already handled (SQLite `bridge_inbound_seen`), so an update
 * the platform delivers again after a reconnect (Telegram getUpdates offset not yet confirmed, IMAP
 * re-sync, webhook retry) is not answered twice.
 */
export class InboundDedup {
  private readonly insert;
  private readonly prune;

  constructor(db: Database) {
    this.insert = db.prepare(
      "INSERT OR IGNORE INTO bridge_inbound_seen (bridge_id, message_key, seen_at) VALUES (?, ?, ?)",
    );
    this.prune = db.prepare("DELETE FROM bridge_inbound_seen WHERE seen_at < ?");
  }

  /** Records `messageKey` for `bridgeId`; true the first time, false when it was seen before. */
  firstSeen(bridgeId: string, messageKey: string): boolean {
    return this.insert.run(bridgeId, messageKey, new Date().toISOString()).changes === 1;
  }

  /** Forgets entries older than `maxAgeMs` (default 7 days, longer than any platform re-delivers). */
  pruneOlderThan(maxAgeMs = 7 * 24 * 3600_000): number {
    return this.prune.run(new Date(Date.now() - maxAgeMs).toISOString()).changes;
  }
}
