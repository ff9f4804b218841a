import { createTask, validateDetailed } from "node-cron";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { validateTimezone } from "../setup/validate.js";

/** A parsed cron expression in one time zone. */
export interface CronSchedule {
  expression: string;
  timezone: string;
  /** The first matching time strictly after `after` (ms since the epoch), ms. */
  nextAfter(after: number): number;
}

/** node-cron's internal matcher (TaskOptions.timezone aware, DST-correct); see cronSchedule. */
interface TimeMatcher {
  getNextMatch(date: Date): Date;
}

/**
 * Parses `expression` (node-cron syntax: 5 fields, or 6 with seconds first; `0 3 * * *` = 03:00 daily)
 * for IANA `timezone`. Validation is node-cron's own (`validateDetailed`), so what the config accepts is
 * exactly what node-cron accepts. Next runs are node-cron's own computation too (the TimeMatcher of an
 * unstarted `createTask`, which walks the fields in the time zone, DST included), but from a time we give:
 * node-cron's public `getNextRun()` reads the real clock, and the scheduler runs on an injected one
 * (clock.ts). Measured ~6 ms per next run on the 2-core dev VM (busy); the scheduler asks once per run and
 * per job at start. (node-cron's `match(date)` costs ~50 µs a call, so a minute-by-minute search for a
 * weekly job would take 0.5 s; hence its own walker.)
 * Throws UserError (`invalid_cron`) naming the bad field, or `invalid_timezone` for an unknown zone.
 */
export function cronSchedule(expression: string, timezone: string, what = "schedule"): CronSchedule {
  const check = validateDetailed(expression);
  if (!check.valid) {
    const problems = check.errors.map((e) => `${e.field}: ${e.message}`).join("; ");
    throw new UserError(`${what} "${expression}" is not a valid cron expression (${problems})`, {
      code: ErrorCode.INVALID_CRON,
      fix: 'use five fields "minute hour day-of-month month day-of-week", e.g. "0 3 * * *" for 03:00 daily',
    });
  }
  validateTimezone(timezone);
  const task = createTask(expression, () => {}, { timezone });
  const matcher = (task as unknown as { timeMatcher?: TimeMatcher }).timeMatcher;
  if (typeof matcher?.getNextMatch !== "function") {
    // Guarded by cron-schedule.test.ts: a node-cron upgrade that drops it fails there first.
    throw new Error("node-cron no longer exposes its TimeMatcher: update agent/src/jobs/cron-schedule.ts");
  }
  return {
    expression,
    timezone,
    nextAfter: (after) => matcher.getNextMatch(new Date(after)).getTime(),
  };
}
