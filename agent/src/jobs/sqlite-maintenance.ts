import type { Database } from "better-sqlite3";

/**
 * Routine SQLite upkeep (sqlite.org/pragma.html): `PRAGMA wal_checkpoint(TRUNCATE)` copies the WAL into
 * the database and truncates it (a long-lived WAL only grows on a busy device), then `PRAGMA optimize`
 * (refreshes the query planner's statistics where they are stale; SQLite recommends it periodically for
 * long-running processes). Returns a one-line summary. A checkpoint blocked by a reader reports "busy"
 * (the next run catches up); throws only for database errors.
 */
export function maintainDatabase(db: Database): string {
  const [cp] = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number; log: number; checkpointed: number }[];
  db.pragma("optimize");
  if (!cp) return "optimized (not in WAL mode)";
  return cp.busy
    ? `checkpoint busy (${cp.checkpointed}/${cp.log} WAL frames copied); optimized`
    : `checkpointed ${cp.checkpointed} WAL frames; optimized`;
}

/**
 * `PRAGMA integrity_check`: reads every page and index of the database (seconds for a large database on
 * an SD card, hence weekly). Returns "ok"; throws Error listing the first problems SQLite reports (up to
 * 10) so the job shows as failed: restore a backup then.
 */
export function checkIntegrity(db: Database): string {
  const rows = db.pragma("integrity_check(10)") as { integrity_check: string }[];
  const problems = rows.map((r) => r.integrity_check).filter((p) => p !== "ok");
  if (problems.length > 0) {
    throw new Error(`database integrity check failed: ${problems.join("; ")} (restore a backup)`);
  }
  return "integrity ok";
}
