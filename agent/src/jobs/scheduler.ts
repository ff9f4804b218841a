import { describeError } from "../errors.js";
import type { Clock } from "./clock.js";
import { type CronSchedule, cronSchedule } from "./cron-schedule.js";
import type { JobRun, JobRunStore } from "./job-run-store.js";

/** One scheduled job. */
export interface JobDefinition {
  /** Stable id, e.g. "retention" (shown in `clawbox status`, used by `runNow`). */
  name: string;
  /** One line for people. */
  description: string;
  /** node-cron expression, e.g. "0 3 * * *" (03:00 daily) in the scheduler's time zone. */
  schedule: string;
  /** Does the work; resolves with a one-line summary, throws when it failed (the message is the result). */
  run(): Promise<string>;
}

/** What `clawbox status` and the dashboard show per job. */
export interface JobStatus {
  name: string;
  description: string;
  schedule: string;
  timezone: string;
  /** Next planned start, ISO 8601 UTC; null while the scheduler is stopped. */
  nextRun: string | null;
  lastRun: JobRun | null;
  running: boolean;
}

export interface SchedulerOptions {
  jobs: JobDefinition[];
  clock: Clock;
  /** IANA time zone of the schedules, read at every wake (the owner may change the device's zone). */
  timezone: () => string;
  runs: JobRunStore;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/**
 * Longest sleep between wakes, ms: the time zone is re-read and next runs re-planned at least this often,
 * so a zone change in the dashboard or a wall-clock step (NTP after boot on a Pi without RTC) is followed
 * within 15 minutes.
 */
const MAX_SLEEP_MS = 15 * 60_000;

/**
 * The agent's one job scheduler. Expressions are parsed and validated by node-cron and next runs come from
 * node-cron's matcher (cron-schedule.ts), but time and timers come from the injected `Clock`, so tests
 * drive a day of schedules in milliseconds (ManualClock) while the agent uses real time. Jobs run one at a
 * time (maintenance and backups both want the database quiet); a run that is still going when its next
 * time comes skips that time. Missed times while the agent was off are not caught up (cron semantics).
 * Each run's outcome is stored (JobRunStore) and logged; a failing job never stops the others.
 * Throws UserError from the constructor for an invalid expression or time zone.
 */
export class Scheduler {
  private readonly jobs: JobDefinition[];
  private schedules = new Map<string, CronSchedule>();
  private next = new Map<string, number>();
  private zone: string;
  private timer: unknown = null;
  private running: string | null = null;
  private current: Promise<void> = Promise.resolve();
  private started = false;

  constructor(private readonly opts: SchedulerOptions) {
    this.jobs = opts.jobs;
    this.zone = opts.timezone();
    this.parse();
  }

  private parse(): void {
    this.schedules = new Map(
      this.jobs.map((j) => [j.name, cronSchedule(j.schedule, this.zone, `jobs schedule of ${j.name}`)]),
    );
  }

  /** Plans every job's next run from now and arms the timer. Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const now = this.opts.clock.now();
    for (const [name, s] of this.schedules) this.next.set(name, s.nextAfter(now));
    this.arm();
  }

  /** Stops planning; resolves when a job that is running has finished. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer !== null) this.opts.clock.clear(this.timer);
    this.timer = null;
    this.next.clear();
    await this.current;
  }

  /** Every job with its schedule, next and last run. */
  list(): JobStatus[] {
    return this.jobs.map((j) => {
      const next = this.next.get(j.name);
      return {
        name: j.name,
        description: j.description,
        schedule: j.schedule,
        timezone: this.zone,
        nextRun: next === undefined ? null : new Date(next).toISOString(),
        lastRun: this.opts.runs.last(j.name),
        running: this.running === j.name,
      };
    });
  }

  /** Runs job `name` now (after any running job) and returns its outcome. Throws for an unknown name. */
  async runNow(name: string): Promise<JobRun> {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new Error(`no job named ${name}`);
    const run = this.current.then(() => this.execute(job));
    this.current = run.then(() => {});
    return run;
  }

  private arm(): void {
    if (!this.started) return;
    const now = this.opts.clock.now();
    const soonest = Math.min(...this.next.values(), now + MAX_SLEEP_MS);
    this.timer = this.opts.clock.setTimer(() => this.wake(), Math.max(0, soonest - now));
  }

  private wake(): void {
    this.timer = null;
    if (!this.started) return;
    // after a runNow that may still be going: jobs never overlap
    const work = this.current.then(() => this.runDue());
    this.current = work;
    this.opts.clock.track?.(work);
  }

  private async runDue(): Promise<void> {
    const zone = this.opts.timezone();
    if (zone !== this.zone) {
      this.zone = zone;
      this.parse();
      const now = this.opts.clock.now();
      for (const [name, s] of this.schedules) this.next.set(name, s.nextAfter(now));
      this.opts.log.info({ timezone: zone }, "job schedules follow the new time zone");
    }
    for (const job of this.jobs) {
      const due = this.next.get(job.name);
      if (due === undefined || due > this.opts.clock.now()) continue;
      await this.execute(job);
      if (!this.started) return;
      // planned from when the run ended: times that passed while it ran are skipped, not piled up
      this.next.set(job.name, this.schedules.get(job.name)?.nextAfter(this.opts.clock.now()) ?? due);
    }
    this.arm();
  }

  private async execute(job: JobDefinition): Promise<JobRun> {
    this.running = job.name;
    const startedAt = new Date(this.opts.clock.now()).toISOString();
    let run: JobRun;
    try {
      const result = await job.run();
      run = { startedAt, finishedAt: new Date(this.opts.clock.now()).toISOString(), ok: true, result };
      this.opts.log.info({ job: job.name, result }, "job finished");
    } catch (err) {
      const result = describeError(err).split("\n")[0] ?? "failed";
      run = { startedAt, finishedAt: new Date(this.opts.clock.now()).toISOString(), ok: false, result };
      this.opts.log.warn({ job: job.name, err: result }, "job failed");
    } finally {
      this.running = null;
    }
    this.opts.runs.record(job.name, run);
    return run;
  }
}
