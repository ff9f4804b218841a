import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { formatLocal, nextRun, parseSchedule } from "./schedule.js";

const BERLIN = "Europe/Berlin";
const at = (iso: string) => new Date(iso);
const once = (input: string, now: string, timezone = BERLIN) => {
  const { schedule, text } = parseSchedule(input, { repeat: false, now: at(now), timezone });
  if (schedule.kind !== "once") throw new Error("expected a one-off");
  return { at: schedule.at.toISOString(), text };
};
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof UserError ? err.code : String(err);
  }
  return "no error";
};

describe("parseSchedule", () => {
  it("reads HH:MM as today in the device's zone, or tomorrow once past", () => {
    // 10:00 CET (UTC+1) on 5 Dec 2026 → 18:30 CET = 17:30Z the same day
    expect(once("18:30 call mum", "2026-12-05T09:00:00Z")).toEqual({
      at: "2026-12-05T17:30:00.000Z",
      text: "call mum",
    });
    // 20:00 CET: 18:30 has passed → tomorrow
    expect(once("18:30 call mum", "2026-12-05T19:00:00Z").at).toBe("2026-12-06T17:30:00.000Z");
    // the same words in Shanghai (UTC+8, no DST)
    expect(once("18:30 x", "2026-12-05T09:00:00Z", "Asia/Shanghai").at).toBe("2026-12-05T10:30:00.000Z");
  });

  it("lands on the real instant across a DST change (Berlin: 29 Mar 2026 02:00 CET → 03:00 CEST)", () => {
    // Set on Saturday evening (CET, UTC+1) for Sunday 09:00, which is CEST (UTC+2) → 07:00Z
    expect(once("tomorrow 09:00 walk", "2026-03-28T20:00:00Z").at).toBe("2026-03-29T07:00:00.000Z");
    // 27 Oct 2026 back to CET: 25 Oct 09:00 CET = 08:00Z
    expect(once("tomorrow 09:00 walk", "2026-10-24T20:00:00Z").at).toBe("2026-10-25T08:00:00.000Z");
  });

  it("reads a date, and relative minutes/hours", () => {
    expect(once("2027-01-31 08:00 taxes", "2026-12-05T09:00:00Z").at).toBe("2027-01-31T07:00:00.000Z");
    expect(once("in 20m tea", "2026-12-05T09:00:00Z").at).toBe("2026-12-05T09:20:00.000Z");
    expect(once("in 45s kettle", "2026-12-05T09:00:00Z").at).toBe("2026-12-05T09:00:45.000Z");
    expect(code(() => once("in 3 fortnights x", "2026-12-05T09:00:00Z"))).toBe("reminder_when");
    expect(once("in 2 hours tea", "2026-12-05T09:00:00Z")).toEqual({
      at: "2026-12-05T11:00:00.000Z",
      text: "tea",
    });
  });

  it("builds a cron pattern for /every whose runs follow local time through DST", () => {
    const { schedule, text } = parseSchedule("weekday 08:00 morning summary", {
      repeat: true,
      now: at("2026-03-26T12:00:00Z"),
      timezone: BERLIN,
    });
    expect(text).toBe("morning summary");
    expect(schedule).toEqual({ kind: "every", cron: "0 0 8 * * 1-5", label: "weekday 08:00" });
    const runs: string[] = [];
    let after = at("2026-03-26T12:00:00Z");
    for (let i = 0; i < 3; i++) {
      after = nextRun("0 0 8 * * 1-5", BERLIN, after) as Date;
      runs.push(after.toISOString());
    }
    // Fri 27 Mar 08:00 CET, then (weekend skipped, DST began) Mon 30 Mar 08:00 CEST, Tue 31 Mar
    expect(runs).toEqual([
      "2026-03-27T07:00:00.000Z",
      "2026-03-30T06:00:00.000Z",
      "2026-03-31T06:00:00.000Z",
    ]);
    const days = parseSchedule("mon,thu 19:15 bins", {
      repeat: true,
      now: at("2026-03-26T12:00:00Z"),
      timezone: BERLIN,
    });
    expect(days.schedule).toMatchObject({ cron: "0 15 19 * * 1,4" });
  });

  it("refuses unreadable times, past dates and empty messages with a code and a fix", () => {
    const now = at("2026-12-05T09:00:00Z");
    expect(code(() => parseSchedule("soon call mum", { repeat: false, now, timezone: BERLIN }))).toBe(
      "reminder_when",
    );
    expect(code(() => parseSchedule("25:00 x", { repeat: false, now, timezone: BERLIN }))).toBe(
      "reminder_when",
    );
    expect(code(() => parseSchedule("sometimes 08:00 x", { repeat: true, now, timezone: BERLIN }))).toBe(
      "reminder_when",
    );
    expect(code(() => parseSchedule("2020-01-01 08:00 x", { repeat: false, now, timezone: BERLIN }))).toBe(
      "reminder_past",
    );
    expect(code(() => parseSchedule("18:30", { repeat: false, now, timezone: BERLIN }))).toBe(
      "reminder_text",
    );
  });

  it("formats instants in the zone", () => {
    expect(formatLocal(at("2026-12-05T17:30:00Z"), BERLIN)).toBe("Sat 5 Dec, 18:30");
  });
});
