import { Cron } from "croner";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/**
 * When a reminder fires: once at an instant, or repeatedly on a cron pattern read in a time zone.
 * `cron` has six fields (seconds first, croner's format); `label` is the owner's words, for lists.
 */
export type Schedule =
  | { kind: "once"; at: Date; label: string }
  | { kind: "every"; cron: string; label: string };

const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** Day words of `/every` → cron day-of-week field (0 = Sunday, cron's convention). */
const DAY_WORDS: Record<string, string> = {
  day: "*",
  daily: "*",
  weekday: "1-5",
  weekdays: "1-5",
  weekend: "0,6",
  weekends: "0,6",
  ...Object.fromEntries(DAY_NAMES.map((d, i) => [d, String(i)])),
  ...Object.fromEntries(
    ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"].map((d, i) => [
      d,
      String(i),
    ]),
  ),
};

const badWhen = (words: string) =>
  new UserError(`"${words}" is not a time I understand`, {
    code: ErrorCode.REMINDER_WHEN,
    fix: 'write e.g. "18:30", "tomorrow 09:00", "2027-01-31 08:00", "in 20m", or for /every: "weekday 08:00", "monday,thursday 19:00", "day 07:15"',
  });

/** "HH:MM" (24-hour) → [hour, minute], or null. */
function clock(word: string | undefined): [number, number] | null {
  const m = /^([01]?\d|2[0-3])[:.h]([0-5]\d)$/.exec(word ?? "");
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** Milliseconds per unit letter of "in N<unit>": s, m(in), h(ours), d(ays). */
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "20m" or "20 minutes" (one or two words) → duration; null when it is neither. */
function relative(
  a: string | undefined,
  b: string | undefined,
): { ms: number; label: string; words: number } | null {
  const unit = /^(s|secs?|seconds?|m|mins?|minutes?|h|hours?|d|days?)$/;
  const short = /^(\d{1,4})([a-z]+)$/.exec(a ?? "");
  const [n, u, words] = short ? [short[1], short[2], 1] : /^\d{1,4}$/.test(a ?? "") ? [a, b, 2] : [];
  if (!n || !u || !unit.test(u)) return null;
  const letter = u[0] as string;
  return { ms: Number(n) * (UNIT_MS[letter] as number), label: `${n}${letter}`, words: words as number };
}

/** Next instant after `after` matching a six-field cron pattern in `timezone`; null when there is none. */
export function nextRun(cron: string, timezone: string, after: Date): Date | null {
  return new Cron(cron, { timezone, paused: true }).nextRun(after);
}

/**
 * Reads the time words at the start of a `/remind` (`repeat` false) or `/every` (`repeat` true) command
 * and returns the schedule and the rest of the text (the message). Wall-clock times are read in
 * `timezone` (IANA name) and resolved with croner, so a time on a day of a DST change lands on the real
 * instant (a time skipped by the change moves to the next valid one — croner's documented behaviour).
 *
 * Once: `HH:MM` (today, or tomorrow when already past), `tomorrow HH:MM`, `YYYY-MM-DD HH:MM`,
 * `in N s|m|min|h|hours|d`. Every: `<days> HH:MM` with days = day|weekday|weekend|mon…sun (comma list).
 * Throws UserError `reminder_when` for words it cannot read, `reminder_past` for a past date,
 * `reminder_text` when no message follows.
 */
export function parseSchedule(
  input: string,
  opts: { repeat: boolean; now: Date; timezone: string },
): { schedule: Schedule; text: string } {
  const words = input.trim().split(/\s+/);
  const { now, timezone } = opts;
  let schedule: Schedule | null = null;
  let used = 0;
  if (opts.repeat) {
    const days = (words[0] ?? "").toLowerCase().split(",");
    const dow = days.map((d) => DAY_WORDS[d]);
    const time = clock(words[1]);
    if (dow.length > 0 && dow.every((d) => d !== undefined) && time) {
      const field = dow.includes("*") ? "*" : dow.join(",");
      schedule = {
        kind: "every",
        cron: `0 ${time[1]} ${time[0]} * * ${field}`,
        label: `${words[0]} ${words[1]}`,
      };
      used = 2;
    }
  } else {
    const first = (words[0] ?? "").toLowerCase();
    const rel = relative(words[1], words[2]);
    if (first === "in" && rel) {
      schedule = { kind: "once", at: new Date(now.getTime() + rel.ms), label: `in ${rel.label}` };
      used = rel.words + 1;
    } else if (clock(first)) {
      const [h, mi] = clock(first) as [number, number];
      schedule = { kind: "once", at: nextRun(`0 ${mi} ${h} * * *`, timezone, now) as Date, label: first };
      used = 1;
    } else if (first === "tomorrow" && clock(words[1])) {
      const [h, mi] = clock(words[1]) as [number, number];
      const midnight = nextRun("0 0 0 * * *", timezone, now) as Date;
      const at = nextRun(`0 ${mi} ${h} * * *`, timezone, new Date(midnight.getTime() - 1000)) as Date;
      schedule = { kind: "once", at, label: `tomorrow ${words[1]}` };
      used = 2;
    } else if (/^\d{4}-\d{2}-\d{2}$/.test(first) && clock(words[1])) {
      const [y, mo, d] = first.split("-").map(Number) as [number, number, number];
      const [h, mi] = clock(words[1]) as [number, number];
      const at = nextRun(`0 ${mi} ${h} ${d} ${mo} *`, timezone, now);
      if (!at || !Number.isFinite(at.getTime()) || yearIn(at, timezone) !== y) {
        throw new UserError(`${first} ${words[1]} is in the past or not a date`, {
          code: ErrorCode.REMINDER_PAST,
          fix: "pick a date and time still to come",
        });
      }
      schedule = { kind: "once", at, label: `${first} ${words[1]}` };
      used = 2;
    }
  }
  if (!schedule) throw badWhen(words.slice(0, 2).join(" "));
  const text = words.slice(used).join(" ").trim();
  if (text === "") {
    throw new UserError("the reminder has no message", {
      code: ErrorCode.REMINDER_TEXT,
      fix: 'write what to remind you of after the time, e.g. "/remind 18:30 call mum"',
    });
  }
  return { schedule, text };
}

/** Calendar year of `at` in `timezone`. */
function yearIn(at: Date, timezone: string): number {
  return Number(new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric" }).format(at));
}

/** First run of a schedule strictly after `after` (a once-schedule: its instant). */
export function firstRun(schedule: Schedule, timezone: string, after: Date): Date {
  if (schedule.kind === "once") return schedule.at;
  return nextRun(schedule.cron, timezone, after) as Date;
}

/** "Sat 5 Dec 18:30" in `timezone`, for chat answers and lists. */
export function formatLocal(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(at);
}
