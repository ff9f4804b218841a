import type { Database } from "better-sqlite3";

/** The outcome of a job's most recent run. Times are ISO 8601 UTC. */
export interface JobRun {
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  /** One line: what the job did ("deleted 3 conversations …") or why it failed. */
  result: string;
}

/**
 * Last run of each job in SQLite (`job_runs`, migration "scheduled job runs"), so `clawbox status` and the
 * dashboard still show it after a restart. One row per job, replaced by each run.
 */
export class JobRunStore {
  constructor(private readonly db: Database) {}

  /** The last run of `name`, or null when it never ran. */
  last(name: string): JobRun | null {
    const row = this.db
      .prepare("SELECT started_at, finished_at, ok, result FROM job_runs WHERE name = ?")
      .get(name) as { started_at: string; finished_at: string; ok: number; result: string } | undefined;
    return row
      ? { startedAt: row.started_at, finishedAt: row.finished_at, ok: row.ok === 1, result: row.result }
      : null;
  }

  record(name: string, run: JobRun): void {
    this.db
      .prepare(
        "INSERT INTO job_runs (name, started_at, finished_at, ok, result) VALUES (?, ?, ?, ?, ?) " +
          "ON CONFLICT (name) DO UPDATE SET started_at = excluded.started_at, " +
          "finished_at = excluded.finished_at, ok = excluded.ok, result = excluded.result",
      )
      .run(name, run.startedAt, run.finishedAt, run.ok ? 1 : 0, run.result);
  }
}
