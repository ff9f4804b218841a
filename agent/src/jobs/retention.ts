import { readdirSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { Database } from "better-sqlite3";

/** How long data is kept, days (config `jobs.retention`). */
export interface RetentionPolicy {
  /** Conversations not updated for this long are deleted with their messages; older messages of kept ones too. */
  conversationDays: number;
  /** Outbox entries delivered (status "sent") this long ago are deleted. */
  outboxDays: number;
  /** Log files (`*.log`, `*.log.N`, `*.gz`) last written this long ago are deleted from `logDirs`. */
  logDays: number;
  /** Folders holding log files; missing ones are skipped. */
  logDirs: string[];
}

/** What one retention run deleted (counts). */
export interface RetentionResult {
  conversations: number;
  messages: number;
  outbox: number;
  logFiles: number;
}

const DAY_MS = 86_400_000;
/** Rotated and compressed log file names (logrotate's default and dateext forms). */
const LOG_FILE = /\.log(\.\d+|-\d{8})?(\.gz)?$/;

/**
 * Deletes what is older than the policy allows, relative to `now` (ms since the epoch): conversations and
 * messages (one transaction; messages of deleted conversations go by ON DELETE CASCADE), delivered outbox
 * entries, and old log files. Pending outbox entries are never touched (they are still to be delivered).
 * Returns the counts. Throws only for database errors (a log file that cannot be removed is skipped).
 */
export function applyRetention(db: Database, policy: RetentionPolicy, now: number): RetentionResult {
  const cutoff = (days: number) => new Date(now - days * DAY_MS).toISOString();
  const conversationsBefore = cutoff(policy.conversationDays);
  const tx = db.transaction(() => {
    const messagesOfOld = db
      .prepare(
        "SELECT COUNT(*) AS n FROM messages WHERE conversation_id IN " +
          "(SELECT id FROM conversations WHERE updated_at < ?)",
      )
      .get(conversationsBefore) as { n: number };
    const conversations = db
      .prepare("DELETE FROM conversations WHERE updated_at < ?")
      .run(conversationsBefore);
    const messages = db.prepare("DELETE FROM messages WHERE created_at < ?").run(conversationsBefore);
    const outbox = db
      .prepare("DELETE FROM bridge_outbox WHERE status = 'sent' AND sent_at < ?")
      .run(cutoff(policy.outboxDays));
    return {
      conversations: conversations.changes,
      messages: messagesOfOld.n + messages.changes,
      outbox: outbox.changes,
    };
  });
  const counts = tx();
  let logFiles = 0;
  const logsBefore = now - policy.logDays * DAY_MS;
  for (const dir of policy.logDirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => LOG_FILE.test(n))) {
      const file = join(dir, name);
      try {
        const st = statSync(file);
        if (st.isFile() && st.mtimeMs < logsBefore) {
          unlinkSync(file);
          logFiles++;
        }
      } catch {
        // gone or not ours to remove: the next run tries again
      }
    }
  }
  return { ...counts, logFiles };
}

/** "deleted 2 conversations, 9 messages, 4 delivered outbox entries, 1 log file". */
export function describeRetention(r: RetentionResult): string {
  const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  return `deleted ${n(r.conversations, "conversation", "conversations")}, ${n(r.messages, "message", "messages")}, ${n(r.outbox, "delivered outbox entry", "delivered outbox entries")}, ${n(r.logFiles, "log file", "log files")}`;
}
