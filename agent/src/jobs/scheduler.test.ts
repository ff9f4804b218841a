import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BackupService } from "../backup/backup-service.js";
import { defaultConfig } from "../config/load-config.js";
import { UserError } from "../errors.js";
import { ConversationStore } from "../store/conversation-store.js";
import { openDatabase } from "../store/database.js";
import { ManualClock } from "./clock.js";
import { createAgentScheduler } from "./create-jobs.js";
import { JobRunStore } from "./job-run-store.js";
import { Scheduler } from "./scheduler.js";

/**
 * The scheduler on a ManualClock with the agent's real jobs on a real database: each job starts at its
 * cron time in the device's time zone, weekly jobs weekly, results are stored, and a zone change in the
 * dashboard moves the next runs.
 */

const quiet = { info() {}, warn() {} };
let dir: string;
let db: Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-jobs-"));
  db = openDatabase(dir);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function agentScheduler(clock: ManualClock, zone: { tz: string }) {
  const config = defaultConfig();
  const backups = new BackupService({
    db,
    dataDir: dir,
    configFile: null,
    dir: join(dir, "backups"),
    keep: 2,
  });
  const scheduler = createAgentScheduler({
    db,
    dataDir: dir,
    jobs: config.jobs,
    backups,
    clock,
    deviceTimezone: () => zone.tz,
    log: quiet,
  });
  return { scheduler, backups };
}

const byName = (s: Scheduler) => Object.fromEntries(s.list().map((j) => [j.name, j]));

describe("the agent's jobs on an injected clock", () => {
  it("runs each job at its time in the device time zone, the integrity check weekly", async () => {
    // Saturday 10 January 2026, 12:00 UTC; Berlin is UTC+1 in winter
    const clock = new ManualClock(new Date("2026-01-10T12:00:00Z"));
    const { scheduler, backups } = agentScheduler(clock, { tz: "Europe/Berlin" });
    backups.setPassphrase("correct horse battery staple");
    const store = new ConversationStore(db);
    store.ensureConversation({ id: "old", source: "api" });
    store.ensureConversation({ id: "new", source: "api" });
    db.prepare("UPDATE conversations SET updated_at = ? WHERE id = 'old'").run("2025-09-01T00:00:00.000Z");
    db.prepare("UPDATE conversations SET updated_at = ? WHERE id = 'new'").run("2026-01-09T00:00:00.000Z");
    scheduler.start();

    const planned = byName(scheduler);
    expect(planned.backup?.nextRun).toBe("2026-01-11T01:00:00.000Z"); // 02:00 Berlin
    expect(planned.retention?.nextRun).toBe("2026-01-11T02:00:00.000Z"); // 03:00 Berlin
    expect(planned["sqlite-maintenance"]?.nextRun).toBe("2026-01-11T02:30:00.000Z");
    expect(planned["sqlite-integrity"]?.nextRun).toBe("2026-01-11T03:00:00.000Z"); // Sunday 04:00
    expect(planned.retention?.timezone).toBe("Europe/Berlin");

    await clock.advanceTo(new Date("2026-01-11T02:00:59Z"));
    let jobs = byName(scheduler);
    expect(jobs.backup?.lastRun).toMatchObject({ startedAt: "2026-01-11T01:00:00.000Z", ok: true });
    expect(jobs.backup?.lastRun?.result).toMatch(/^wrote clawbox-20260111T010000000Z\.cbx/);
    expect(jobs.retention?.lastRun).toMatchObject({ startedAt: "2026-01-11T02:00:00.000Z", ok: true });
    expect(jobs.retention?.lastRun?.result).toContain("deleted 1 conversation");
    expect(store.getConversation("old")).toBeNull();
    expect(store.getConversation("new")).not.toBeNull();
    expect(jobs["sqlite-maintenance"]?.lastRun).toBeNull();
    expect(jobs.retention?.nextRun).toBe("2026-01-12T02:00:00.000Z");

    await clock.advanceTo(new Date("2026-01-13T00:00:00Z"));
    jobs = byName(scheduler);
    expect(jobs["sqlite-maintenance"]?.lastRun?.startedAt).toBe("2026-01-12T02:30:00.000Z");
    expect(jobs["sqlite-integrity"]?.lastRun).toMatchObject({
      startedAt: "2026-01-11T03:00:00.000Z",
      ok: true,
      result: "integrity ok",
    });
    expect(jobs["sqlite-integrity"]?.nextRun).toBe("2026-01-18T03:00:00.000Z");
    expect(backups.list().map((b) => b.name)).toEqual([
      "clawbox-20260112T010000000Z.cbx",
      "clawbox-20260111T010000000Z.cbx",
    ]);

    // a third daily backup prunes the oldest (keep: 2)
    await clock.advanceTo(new Date("2026-01-13T01:00:01Z"));
    expect(backups.list().map((b) => b.name)).toEqual([
      "clawbox-20260113T010000000Z.cbx",
      "clawbox-20260112T010000000Z.cbx",
    ]);
    await scheduler.stop();
    expect(byName(scheduler).retention?.nextRun).toBeNull();
    // outcomes survive: a new scheduler on the same database shows the last runs
    const again = agentScheduler(new ManualClock(new Date("2026-01-14T00:00:00Z")), { tz: "Europe/Berlin" });
    expect(byName(again.scheduler).retention?.lastRun?.startedAt).toBe("2026-01-12T02:00:00.000Z");
  });

  it("follows a change of the device time zone within one wake", async () => {
    const clock = new ManualClock(new Date("2026-06-01T00:00:00Z"));
    const zone = { tz: "Europe/Berlin" };
    const { scheduler } = agentScheduler(clock, zone);
    scheduler.start();
    expect(byName(scheduler).retention?.nextRun).toBe("2026-06-01T01:00:00.000Z"); // 03:00 CEST
    zone.tz = "Asia/Shanghai";
    await clock.advanceTo(new Date("2026-06-01T00:15:00Z"));
    expect(byName(scheduler).retention?.nextRun).toBe("2026-06-01T19:00:00.000Z"); // 03:00 CST next day
    expect(byName(scheduler).retention?.lastRun).toBeNull();
    await scheduler.stop();
  });

  it("skips the backup without a passphrase and says so", async () => {
    const clock = new ManualClock(new Date("2026-01-10T00:00:00Z"));
    const { scheduler } = agentScheduler(clock, { tz: "UTC" });
    scheduler.start();
    await clock.advanceTo(new Date("2026-01-10T02:00:01Z"));
    expect(byName(scheduler).backup?.lastRun).toMatchObject({
      ok: true,
      result: "skipped: no backup passphrase set",
    });
    await scheduler.stop();
  });
});

describe("Scheduler", () => {
  it("records a failing job as failed and still runs the others", async () => {
    const clock = new ManualClock(new Date("2026-01-10T00:00:00Z"));
    let ran = 0;
    const scheduler = new Scheduler({
      clock,
      timezone: () => "UTC",
      runs: new JobRunStore(db),
      log: quiet,
      jobs: [
        {
          name: "broken",
          description: "",
          schedule: "0 * * * *",
          run: async () => Promise.reject(new Error("disk full")),
        },
        { name: "counter", description: "", schedule: "0 * * * *", run: async () => `run ${++ran}` },
      ],
    });
    scheduler.start();
    await clock.advanceTo(new Date("2026-01-10T03:00:00Z"));
    const jobs = byName(scheduler);
    expect(jobs.broken?.lastRun).toMatchObject({
      ok: false,
      result: "disk full",
      startedAt: "2026-01-10T03:00:00.000Z",
    });
    expect(jobs.counter?.lastRun?.result).toBe("run 3");
    expect(await scheduler.runNow("counter")).toMatchObject({ ok: true, result: "run 4" });
    await scheduler.stop();
  });

  it("refuses an invalid cron expression naming the field", () => {
    const config = defaultConfig();
    config.jobs.retention.schedule = "0 25 * * *";
    const backups = new BackupService({ db, dataDir: dir, configFile: null, dir, keep: 1 });
    const make = () =>
      createAgentScheduler({
        db,
        dataDir: dir,
        jobs: config.jobs,
        backups,
        clock: new ManualClock(0),
        deviceTimezone: () => null,
        log: quiet,
      });
    expect(make).toThrow(UserError);
    expect(make).toThrow(/jobs schedule of retention "0 25 \* \* \*".*hour/);
  });
});
