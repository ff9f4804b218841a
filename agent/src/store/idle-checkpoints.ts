import { statSync } from "node:fs";
import type { Database } from "better-sqlite3";

export interface IdleCheckpointOptions {
  /** How often to look at the database, ms. Default 250: a checkpoint waits at most this long after a burst. */
  tickMs?: number;
  /**
   * The longest a burst of writes may defer the checkpoint, ms. Default 5,000. Bounds WAL growth under
   * sustained load (and the time a reader may see a growing WAL).
   */
  maxDeferMs?: number;
  /**
   * WAL size, bytes, past which the checkpoint runs at the next tick even mid-burst. Default 16 MiB; also
   * set as `journal_size_limit`, so SQLite truncates the WAL file back to it after a checkpoint.
   */
  maxWalBytes?: number;
}

/**
 * Moves SQLite's WAL checkpoints off the message path. By default SQLite checkpoints inside the commit that
 * pushes the WAL past 1,000 pages (sqlite.org/wal.html#automatic_checkpoint), and with synchronous=NORMAL
 * that checkpoint is the only write that fsyncs: a reply that happens to commit it stalls for the fsync
 * (measured here: 10–40 ms, up to 350 ms on a busy disk, against ~0.01 ms for an ordinary commit). This turns
 * the automatic checkpoint off (`wal_autocheckpoint = 0`) and runs `PRAGMA wal_checkpoint(PASSIVE)` itself
 * when the database has been quiet for one tick — or, during a long burst, after `maxDeferMs` or once the WAL
 * is larger than `maxWalBytes`. Durability is unchanged: committed transactions are in the WAL either way.
 *
 * `db` must be a file database in WAL mode (openDatabase). Returns `stop()`, which clears the timer and
 * runs a last checkpoint unless the database is already closed. The timer is unref'd (it never keeps the
 * process alive). Activity is read from SQLite's `total_changes()`, so every writer on this connection counts.
 */
export function startIdleCheckpoints(db: Database, opts: IdleCheckpointOptions = {}): () => void {
  const tickMs = opts.tickMs ?? 250;
  const maxDeferMs = opts.maxDeferMs ?? 5_000;
  const maxWalBytes = opts.maxWalBytes ?? 16 * 1024 * 1024;
  const walFile = `${db.name}-wal`;
  db.pragma(`journal_size_limit = ${maxWalBytes}`);
  db.pragma("wal_autocheckpoint = 0");
  const changes = db.prepare("SELECT total_changes()").pluck();
  let seen = changes.get() as number;
  let dirtySince = 0;

  const checkpoint = () => {
    db.pragma("wal_checkpoint(PASSIVE)");
    dirtySince = 0;
  };
  const walBytes = () => {
    try {
      return statSync(walFile).size;
    } catch {
      return 0;
    }
  };
  const timer = setInterval(() => {
    if (!db.open) return;
    const now = changes.get() as number;
    const wrote = now !== seen;
    seen = now;
    if (wrote && dirtySince === 0) dirtySince = Date.now();
    if (dirtySince === 0) return;
    if (!wrote || Date.now() - dirtySince >= maxDeferMs || walBytes() > maxWalBytes) checkpoint();
  }, tickMs);
  timer.unref();

  return () => {
    clearInterval(timer);
    if (db.open && (dirtySince !== 0 || changes.get() !== seen)) checkpoint();
  };
}
