import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConversationStore } from "./conversation-store.js";
import { openDatabase } from "./database.js";

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

describe("ConversationStore", () => {
  it("creates, appends, reads, lists and deletes", () => {
    const store = new ConversationStore(db);
    const a = store.createConversation({ source: "api", title: "first" });
    const b = store.createConversation({ id: "conv-b", source: "cli" });
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(store.getConversation("conv-b")).toEqual(b);

    store.appendMessages(a.id, [
      { role: "system", content: "be brief" },
      { role: "user", content: "hi" },
    ]);
    const reply = store.appendMessage(a.id, { role: "assistant", content: "hello", tokens: 2 });
    expect(reply.tokens).toBe(2);
    expect(store.getMessages(a.id).map((m) => [m.role, m.content])).toEqual([
      ["system", "be brief"],
      ["user", "hi"],
      ["assistant", "hello"],
    ]);
    expect(store.getMessages(a.id, 2).map((m) => m.content)).toEqual(["hi", "hello"]);

    store.appendMessage(b.id, { role: "user", content: "later" });
    expect(store.listConversations().map((c) => c.id)[0]).toBe("conv-b");
    expect(store.countConversations()).toBe(2);

    expect(store.deleteConversation(a.id)).toBe(true);
    expect(store.deleteConversation(a.id)).toBe(false);
    expect(store.getMessages(a.id)).toEqual([]);
    expect(db.prepare("SELECT COUNT(*) FROM messages").pluck().get()).toBe(1);
  });

  it("get-or-creates with ensureConversation", () => {
    const store = new ConversationStore(db);
    expect(store.ensureConversation({ id: "x", source: "api" }).created).toBe(true);
    expect(store.ensureConversation({ id: "x", source: "api" }).created).toBe(false);
  });

  it("rejects messages for an unknown conversation and bad roles", () => {
    const store = new ConversationStore(db);
    expect(() => store.appendMessage("nope", { role: "user", content: "x" })).toThrow(/FOREIGN KEY/);
    store.createConversation({ id: "c", source: "api" });
    expect(() => store.appendMessage("c", { role: "tool" as "user", content: "x" })).toThrow(/CHECK/);
  });

  it("keeps data across reopen", () => {
    new ConversationStore(db).createConversation({ id: "keep", source: "api" });
    db.close();
    db = openDatabase(dir);
    expect(new ConversationStore(db).getConversation("keep")?.source).toBe("api");
  });
});
