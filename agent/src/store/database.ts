import { mkdirSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { migrate } from "./migrations.js";

/** The database file inside a data dir: `<dataDir>/clawbox.db`. */
export function databasePath(dataDir: string): string {
  return join(dataDir, "clawbox.db");
}

/**
 * Opens (creating if needed) the agent's SQLite database at `<dataDir>/clawbox.db` and migrates it.
 * Pragmas: WAL journal (readers never block the writer; a power cut loses at most the last commits,
 * never corrupts — sqlite.org/wal.html), synchronous=NORMAL (the documented safe pairing with WAL),
 * foreign_keys=ON (cascading deletes), busy_timeout=5000 ms (a second process, e.g. the CLI, waits
 * instead of failing with SQLITE_BUSY). Throws UserError when the folder/file cannot be opened.
 */
export function openDatabase(dataDir: string): Database {
  const file = databasePath(dataDir);
  let db: Database;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    db = new BetterSqlite3(file);
  } catch (err) {
    throw new UserError(`cannot open the database ${file}: ${(err as Error).message}`, {
      code: ErrorCode.DB_OPEN_FAILED,
      fix: "check that the data dir exists and is writable by this user (or pass --data-dir)",
      cause: err,
    });
  }
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
