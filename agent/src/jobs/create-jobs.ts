import { join } from "node:path";
import type { Database } from "better-sqlite3";
import type { BackupService } from "../backup/backup-service.js";
import type { JobsConfig } from "../config/config-schema.js";
import type { Clock } from "./clock.js";
import { JobRunStore } from "./job-run-store.js";
import { applyRetention, describeRetention } from "./retention.js";
import { type JobDefinition, Scheduler, type SchedulerOptions } from "./scheduler.js";
import { checkIntegrity, maintainDatabase } from "./sqlite-maintenance.js";

export interface AgentJobsOptions {
  db: Database;
  dataDir: string;
  jobs: JobsConfig;
  backups: BackupService;
  clock: Clock;
  /** The device time zone set in the wizard/dashboard, or null (then the system's). */
  deviceTimezone: () => string | null;
  log: SchedulerOptions["log"];
}

/** The time zone of the schedules: `jobs.timezone`, else the device's, else this process's (TZ, /etc/localtime). */
export function jobsTimezone(jobs: JobsConfig, device: string | null): string {
  return jobs.timezone ?? device ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
}

/**
 * The agent's scheduled jobs on one Scheduler (not started):
 * - `retention` (default 03:00 daily): old conversations/messages, delivered outbox entries, old log files;
 * - `sqlite-maintenance` (03:30 daily): WAL checkpoint + PRAGMA optimize;
 * - `sqlite-integrity` (Sundays 04:00): PRAGMA integrity_check;
 * - `backup` (02:00 daily): an encrypted backup, pruned to `keep`; "skipped" until a passphrase is set.
 * Throws UserError for an invalid schedule or time zone in the config.
 */
export function createAgentScheduler(o: AgentJobsOptions): Scheduler {
  const j = o.jobs;
  const definitions: JobDefinition[] = [
    {
      name: "retention",
      description: `delete conversations older than ${j.retention.conversationDays} days, delivered outbox entries older than ${j.retention.outboxDays} days, log files older than ${j.retention.logDays} days`,
      schedule: j.retention.schedule,
      run: async () =>
        describeRetention(
          applyRetention(
            o.db,
            { ...j.retention, logDirs: j.retention.logDirs ?? [join(o.dataDir, "logs")] },
            o.clock.now(),
          ),
        ),
    },
    {
      name: "sqlite-maintenance",
      description: "SQLite WAL checkpoint and PRAGMA optimize",
      schedule: j.maintenance.schedule,
      run: async () => maintainDatabase(o.db),
    },
    {
      name: "sqlite-integrity",
      description: "SQLite PRAGMA integrity_check",
      schedule: j.maintenance.integritySchedule,
      run: async () => checkIntegrity(o.db),
    },
    {
      name: "backup",
      description: `encrypted backup of database, config and secrets; keep ${j.backup.keep}`,
      schedule: j.backup.schedule,
      run: async () => {
        if (!o.backups.hasPassphrase()) return "skipped: no backup passphrase set";
        const made = await o.backups.create(undefined, o.clock.now());
        return `wrote ${made.name} (${made.bytes} bytes)${made.pruned.length ? `, pruned ${made.pruned.length}` : ""}`;
      },
    },
  ];
  return new Scheduler({
    jobs: definitions,
    clock: o.clock,
    timezone: () => jobsTimezone(j, o.deviceTimezone()),
    runs: new JobRunStore(o.db),
    log: o.log,
  });
}
