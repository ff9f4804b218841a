import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { databasePath, openDatabase } from "./database.js";
import { MIGRATIONS, migrate } from "./migrations.js";

let dir: string;
let db: Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-store-"));
  db = openDatabase(dir);
});
afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("openDatabase", () => {
  it("creates <dataDir>/clawbox.db in WAL mode with foreign keys", () => {
    expect(db.name).toBe(databasePath(dir));
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    // NORMAL = 1 (sqlite.org/pragma.html#pragma_synchronous)
    expect(db.pragma("synchronous", { simple: true })).toBe(1);
    expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
  });

  it("migrates once: reopening and re-running apply nothing", () => {
    const versions = db.prepare("SELECT version FROM schema_migrations").pluck().all();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    expect(migrate(db)).toEqual([]);
    db.close();
    db = openDatabase(dir);
    expect(db.prepare("SELECT COUNT(*) FROM schema_migrations").pluck().get()).toBe(MIGRATIONS.length);
  });

  it("applies only new migrations, in order", () => {
    const next = Math.max(...MIGRATIONS.map((m) => m.version)) + 1;
    const extra = [...MIGRATIONS, { version: next, name: "extra", sql: "CREATE TABLE extra (x INTEGER)" }];
    expect(migrate(db, extra)).toEqual([next]);
    expect(migrate(db, extra)).toEqual([]);
  });

  it("refuses a database newer than the agent", () => {
    db.prepare("INSERT INTO schema_migrations VALUES (999, 'future', '2030-01-01')").run();
    expect(() => migrate(db)).toThrow(UserError);
  });
});
