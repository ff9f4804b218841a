import type { Database } from "better-sqlite3";

/**
 * Small JSON values by key in the `settings` table (migration 2): setup progress, SSH keys, choices made
 * in the wizard. Each write is one SQLite statement (atomic, durable in WAL mode).
 */
export class SettingsStore {
  constructor(private readonly db: Database) {}

  /** The value stored under `key`, or undefined. */
  get<T>(key: string): T | undefined {
    const row = this.db.prepare("SELECT value FROM settings WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  /** Stores `value` (JSON-serialisable) under `key`, replacing any earlier value. */
  set(key: string, value: unknown): void {
    this.db
      .prepare(
        "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) " +
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      )
      .run(key, JSON.stringify(value), new Date().toISOString());
  }
}
