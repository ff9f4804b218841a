import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EchoInference } from "../../../test/bridges/kit/echo-inference.js";
import { MemoryAdapter, MemoryPlatform } from "../../../test/bridges/kit/memory-adapter.js";
import { until } from "../../../test/support/until.js";
import { BridgeRunner } from "../bridges/bridge-runner.js";
import { createLogger } from "../log.js";
import { ConversationStore } from "../store/conversation-store.js";
import { openDatabase } from "../store/database.js";
import { createReminders, type Reminders } from "./reminders.js";

const log = createLogger({ level: "silent" });
const BERLIN = "Europe/Berlin";
let dir: string;
let db: Database;
const stops: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-reminders-"));
  db = openDatabase(dir);
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An injected clock the test moves by hand. */
const clock = (iso: string) => {
  let t = new Date(iso).getTime();
  return { now: () => new Date(t), set: (s: string) => (t = new Date(s).getTime()) };
};

/** One "agent life": reminders + a real BridgeRunner on a memory platform, over the shared database. */
function agentLife(
  platform: MemoryPlatform,
  now: () => Date,
): { reminders: Reminders; runner: BridgeRunner } {
  let runner: BridgeRunner | undefined;
  const reminders = createReminders({
    db,
    log,
    outlet: (id) => (id === "mem" ? runner : undefined),
    timezone: () => BERLIN,
    now,
  });
  runner = new BridgeRunner({
    id: "mem",
    config: { type: "memory", dmPolicy: "open" },
    createAdapter: async () =>
      new MemoryAdapter(
        "mem",
        { maxTextLength: 500, canEdit: false, canTyping: false, threads: false, format: "plain" },
        platform,
      ),
    db,
    inference: new EchoInference(),
    conversations: new ConversationStore(db),
    log,
    backoff: { baseMs: 5, maxMs: 20 },
    flushIntervalMs: 50,
    commands: reminders.commands,
    onConnected: () => void reminders.scheduler.tick(),
  });
  runner.start();
  const r = runner;
  stops.push(() => r.stop());
  return { reminders, runner };
}

const texts = (p: MemoryPlatform) => p.messages.map((m) => m.text);
const reminderCount = (p: MemoryPlatform, text: string) =>
  texts(p).filter((t) => t === `⏰ Reminder: ${text}`).length;

describe("reminders through a bridge", () => {
  it("sets a reminder in chat and delivers it once when due (injected clock)", async () => {
    const platform = new MemoryPlatform();
    const c = clock("2026-12-05T09:00:00Z"); // 10:00 in Berlin
    const { reminders } = agentLife(platform, c.now);
    await until(() => platform.connected, "connect");
    await platform.inbound({ text: "/remind 18:30 call mum" });
    expect(texts(platform).at(-1)).toBe("Reminder #1 set for Sat 5 Dec, 18:30 (Europe/Berlin): call mum");
    expect(await reminders.scheduler.tick()).toBe(0);
    c.set("2026-12-05T17:30:00Z");
    expect(await reminders.scheduler.tick()).toBe(1);
    expect(await reminders.scheduler.tick()).toBe(0);
    expect(reminderCount(platform, "call mum")).toBe(1);
    expect(platform.messages.at(-1)?.chatId).toBe("dm-1");
    expect(reminders.store.get(1)?.status).toBe("done");
  });

  it("delivers a reminder that fell due while the agent was down once at the next start, not again after another", async () => {
    const platform = new MemoryPlatform();
    const c = clock("2026-12-05T09:00:00Z");
    const first = agentLife(platform, c.now);
    await until(() => platform.connected, "connect");
    await platform.inbound({ text: "/remind in 20m tea" });
    await first.runner.stop();
    platform.connected = false;

    c.set("2026-12-05T10:00:00Z"); // the agent was off when it fell due
    agentLife(platform, c.now);
    await until(() => reminderCount(platform, "tea") === 1, "the missed reminder");
    await stops.splice(0).reverse()[0]?.();
    platform.connected = false;

    const third = agentLife(platform, c.now);
    await until(() => platform.connected, "reconnect");
    expect(await third.reminders.scheduler.tick()).toBe(0);
    expect(reminderCount(platform, "tea")).toBe(1);
  });

  it("keeps a claimed reminder in the outbox while the platform is unreachable and sends it once after the reconnect", async () => {
    const platform = new MemoryPlatform();
    const c = clock("2026-12-05T09:00:00Z");
    const { reminders } = agentLife(platform, c.now);
    await until(() => platform.connected, "connect");
    await platform.inbound({ text: "/remind in 5m stretch" });
    c.set("2026-12-05T09:06:00Z");
    platform.failConnects = 2;
    platform.drop();
    expect(await reminders.scheduler.tick()).toBe(1);
    expect(reminderCount(platform, "stretch")).toBe(0);
    await until(() => reminderCount(platform, "stretch") === 1, "delivery after reconnect");
    expect(await reminders.scheduler.tick()).toBe(0);
    await new Promise((r) => setTimeout(r, 120)); // two more outbox flush periods
    expect(reminderCount(platform, "stretch")).toBe(1);
  });

  it("repeats /every on weekdays in local time across the DST change, and lists and forgets per chat", async () => {
    const platform = new MemoryPlatform();
    const c = clock("2026-03-26T12:00:00Z"); // Thursday
    const { reminders } = agentLife(platform, c.now);
    await until(() => platform.connected, "connect");
    await platform.inbound({ text: "/every weekday 08:00 morning summary" });
    expect(texts(platform).at(-1)).toContain(
      "every weekday 08:00 (Europe/Berlin), first on Fri 27 Mar, 08:00",
    );
    c.set("2026-03-27T07:00:00Z");
    expect(await reminders.scheduler.tick()).toBe(1);
    // next: Monday 30 Mar 08:00 CEST (UTC+2) = 06:00Z
    expect(reminders.store.get(1)?.nextRunAt).toBe("2026-03-30T06:00:00.000Z");
    c.set("2026-03-30T06:00:00Z");
    expect(await reminders.scheduler.tick()).toBe(1);
    expect(reminderCount(platform, "morning summary")).toBe(2);

    await platform.inbound({ text: "/reminders" });
    expect(texts(platform).at(-1)).toBe("#1 every weekday 08:00, next Tue 31 Mar, 08:00: morning summary");
    await platform.inbound({ text: "/forget 1", chatId: "dm-2", senderId: "user-2" });
    expect(texts(platform).at(-1)).toBe("There is no reminder #1 in this chat (see /reminders).");
    await platform.inbound({ text: "/forget 1" });
    expect(texts(platform).at(-1)).toBe("Reminder #1 removed.");
    c.set("2026-03-31T06:00:00Z");
    expect(await reminders.scheduler.tick()).toBe(0);
  });

  it("answers a mistake with what to write, and lists the commands in /help", async () => {
    const platform = new MemoryPlatform();
    agentLife(platform, clock("2026-12-05T09:00:00Z").now);
    await until(() => platform.connected, "connect");
    await platform.inbound({ text: "/remind soon call mum" });
    expect(texts(platform).at(-1)).toMatch(/^"soon call" is not a time I understand: write e\.g\. "18:30"/);
    await platform.inbound({ text: "/help" });
    expect(texts(platform).at(-1)).toContain("/every weekday 08:00");
  });
});
