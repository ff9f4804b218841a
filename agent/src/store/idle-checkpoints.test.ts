import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { databasePath, openDatabase } from "./database.js";
import { startIdleCheckpoints } from "./idle-checkpoints.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("startIdleCheckpoints", () => {
  let dir: string;
  let db: Database;
  let stop: (() => void) | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "clawbox-ckpt-"));
    db = openDatabase(dir);
    db.exec("CREATE TABLE blob_rows (id INTEGER PRIMARY KEY, body BLOB)");
  });
  afterEach(() => {
    stop?.();
    stop = undefined;
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const dbBytes = () => statSync(databasePath(dir)).size;
  const walBytes = () => statSync(`${databasePath(dir)}-wal`).size;
  const insert = (n: number) => {
    const row = db.prepare("INSERT INTO blob_rows (body) VALUES (?)");
    for (let i = 0; i < n; i++) row.run(Buffer.alloc(2048, i % 251));
  };

  it("lets a burst of commits pass without a checkpoint, then checkpoints once it is quiet", async () => {
    stop = startIdleCheckpoints(db, { tickMs: 20 });
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    const before = dbBytes();
    insert(3000); // ~6 MB of rows in one synchronous burst: no timer can run in between
    // SQLite's own automatic checkpoint would have copied pages into the database file at 1,000 WAL pages.
    expect(walBytes()).toBeGreaterThan(1000 * pageSize);
    expect(dbBytes()).toBe(before);
    await sleep(200);
    expect(dbBytes()).toBeGreaterThan(before + 3000 * 2048);
  });

  it("checkpoints mid-burst once the WAL passes maxWalBytes", async () => {
    stop = startIdleCheckpoints(db, { tickMs: 10, maxDeferMs: 60_000, maxWalBytes: 256 * 1024 });
    const before = dbBytes();
    // Never quiet for a whole tick: a write every 2 ms for 300 ms.
    for (const end = Date.now() + 300; Date.now() < end; ) {
      insert(20);
      await sleep(2);
    }
    expect(dbBytes()).toBeGreaterThan(before);
  });

  it("runs a last checkpoint on stop and is safe after the database is closed", async () => {
    stop = startIdleCheckpoints(db, { tickMs: 60_000 });
    const before = dbBytes();
    insert(200);
    stop();
    expect(dbBytes()).toBeGreaterThan(before);
    db.close();
    expect(() => stop?.()).not.toThrow();
    db = openDatabase(dir); // afterEach closes it again
  });
});
