import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Outbox } from "../bridges/outbox.js";
import { ConversationStore } from "../store/conversation-store.js";
import { openDatabase } from "../store/database.js";
import { applyRetention, describeRetention } from "./retention.js";

const NOW = Date.parse("2026-03-01T03:00:00Z");
const DAY = 86_400_000;
const iso = (daysAgo: number) => new Date(NOW - daysAgo * DAY).toISOString();
let dir: string;
let db: Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-retention-"));
  db = openDatabase(dir);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("applyRetention", () => {
  it("deletes old conversations, old messages, delivered outbox entries and old log files only", () => {
    const store = new ConversationStore(db);
    for (const id of ["stale", "active"]) store.ensureConversation({ id, source: "api" });
    store.appendMessage("stale", { role: "user", content: "old" });
    store.appendMessage("active", { role: "user", content: "long ago" });
    store.appendMessage("active", { role: "user", content: "today" });
    db.prepare("UPDATE conversations SET updated_at = ? WHERE id = 'stale'").run(iso(40));
    db.prepare("UPDATE conversations SET updated_at = ? WHERE id = 'active'").run(iso(1));
    db.prepare("UPDATE messages SET created_at = ? WHERE content IN ('old', 'long ago')").run(iso(40));
    db.prepare("UPDATE messages SET created_at = ? WHERE content = 'today'").run(iso(0));

    const outbox = new Outbox(db);
    outbox.enqueue(
      ["sent-old", "sent-new", "pending-old", "failed-old"].map((id) => ({
        id,
        bridgeId: "b",
        chatId: "c",
        text: id,
      })),
    );
    db.prepare("UPDATE bridge_outbox SET status = 'sent', sent_at = ? WHERE id = 'sent-old'").run(iso(10));
    db.prepare("UPDATE bridge_outbox SET status = 'sent', sent_at = ? WHERE id = 'sent-new'").run(iso(1));
    db.prepare("UPDATE bridge_outbox SET status = 'failed' WHERE id = 'failed-old'").run();
    db.prepare("UPDATE bridge_outbox SET created_at = ?").run(iso(10));

    const logs = join(dir, "logs");
    mkdirSync(logs);
    for (const [name, daysAgo] of [
      ["agent.log.3.gz", 20],
      ["agent.log-20260101", 20],
      ["agent.log", 20],
      ["agent.log.1", 2],
      ["notes.txt", 20],
    ] as const) {
      writeFileSync(join(logs, name), "x");
      const t = (NOW - daysAgo * DAY) / 1000;
      utimesSync(join(logs, name), t, t);
    }

    const result = applyRetention(
      db,
      { conversationDays: 30, outboxDays: 7, logDays: 14, logDirs: [logs, join(dir, "missing")] },
      NOW,
    );
    expect(result).toEqual({ conversations: 1, messages: 2, outbox: 1, logFiles: 3 });
    expect(describeRetention(result)).toBe(
      "deleted 1 conversation, 2 messages, 1 delivered outbox entry, 3 log files",
    );
    expect(store.getConversation("stale")).toBeNull();
    expect(store.getMessages("active", 10).map((m) => m.content)).toEqual(["today"]);
    const left = (db.prepare("SELECT id FROM bridge_outbox ORDER BY id").all() as { id: string }[]).map(
      (r) => r.id,
    );
    expect(left).toEqual(["failed-old", "pending-old", "sent-new"]);
    expect(readdirSync(logs).sort()).toEqual(["agent.log.1", "notes.txt"]);
  });
});
