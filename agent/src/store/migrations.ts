import type { Database } from "better-sqlite3";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/** One schema step. `version` numbers are dense and never reused; a shipped migration is never edited. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The store's migrations, oldest first. Later features (outbox, pairing, audit log) append here.
 * Times are ISO 8601 UTC text (sortable, readable in `sqlite3`); ids of conversations are text because
 * they come from clients (`user`, `X-Conversation-Id`) or from a hash of the first messages.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "conversations and messages",
    sql: `
      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        title TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX conversations_updated_at ON conversations (updated_at DESC);
      CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content TEXT NOT NULL,
        tokens INTEGER,
        created_at TEXT NOT NULL
      );
      CREATE INDEX messages_conversation ON messages (conversation_id, id);
    `,
  },
  {
    version: 2,
    name: "setup state, admin accounts and sessions",
    sql: `
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE admin_users (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES admin_users (username) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX sessions_expires_at ON sessions (expires_at);
    `,
  },
  {
    version: 3,
    name: "bridge outbox, inbound dedup, pairing and approved senders",
    sql: `
      CREATE TABLE bridge_outbox (
        id TEXT PRIMARY KEY,
        bridge_id TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT,
        text TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        platform_message_id TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
      );
      CREATE INDEX bridge_outbox_pending ON bridge_outbox (bridge_id, status, created_at);
      CREATE TABLE bridge_inbound_seen (
        bridge_id TEXT NOT NULL,
        message_key TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (bridge_id, message_key)
      );
      CREATE TABLE bridge_pairing (
        bridge_id TEXT NOT NULL,
        code TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        sender_name TEXT,
        chat_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (bridge_id, code)
      );
      CREATE UNIQUE INDEX bridge_pairing_sender ON bridge_pairing (bridge_id, sender_id);
      CREATE TABLE bridge_approved_senders (
        bridge_id TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        sender_name TEXT,
        approved_at TEXT NOT NULL,
        PRIMARY KEY (bridge_id, sender_id)
      );
    `,
  },
  {
    version: 4,
    name: "scheduled job runs",
    sql: `
      CREATE TABLE job_runs (
        name TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
        result TEXT NOT NULL
      );
      CREATE INDEX messages_created_at ON messages (created_at);
      CREATE INDEX bridge_outbox_sent_at ON bridge_outbox (status, sent_at);
    `,
  },
  {
    version: 5,
    name: "reminders and scheduled messages",
    sql: `
      CREATE TABLE reminders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        bridge_id TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT,
        created_by TEXT NOT NULL,
        text TEXT NOT NULL,
        cron TEXT,
        label TEXT NOT NULL,
        timezone TEXT NOT NULL,
        next_run_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('active', 'done', 'cancelled')),
        runs INTEGER NOT NULL DEFAULT 0,
        last_run_at TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX reminders_due ON reminders (status, next_run_at);
      CREATE INDEX reminders_chat ON reminders (bridge_id, chat_id, status);
    `,
  },
  {
    version: 6,
    name: "append-only audit log",
    sql: `
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        ip TEXT,
        action TEXT NOT NULL,
        target TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
        detail TEXT
      );
      CREATE INDEX audit_log_at ON audit_log (at DESC);
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    `,
  },
  {
    version: 7,
    name: "dashboard account roles",
    sql: `
      ALTER TABLE admin_users ADD COLUMN role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'viewer'));
    `,
  },
];

/**
 * Brings `db` up to the newest migration, each step in its own transaction together with its row in
 * `schema_migrations` (so a crash mid-step leaves the old version). Idempotent: applied versions are skipped.
 * Returns the versions applied by this call. Throws UserError (`db_newer`) when the database is newer than
 * this agent knows (a downgrade), naming both versions.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const row = db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null };
  const current = row.v ?? 0;
  const newest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  if (current > newest) {
    throw new UserError(
      `the database schema (version ${current}) is newer than this agent knows (${newest})`,
      {
        code: ErrorCode.DB_NEWER,
        fix: "upgrade the agent to the release that wrote this database, or restore a backup of the data dir",
      },
    );
  }
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    })();
    applied.push(m.version);
  }
  return applied;
}
