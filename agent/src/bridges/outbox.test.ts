import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../store/database.js";
import { Outbox } from "./outbox.js";

const dir = mkdtempSync(join(tmpdir(), "clawbox-outbox-"));
const db = openDatabase(dir);
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("Outbox", () => {
  it("hands pending pieces back in the order they were stored, also past piece 9", () => {
    const outbox = new Outbox(db);
    const pieces = Array.from({ length: 12 }, (_, i) => ({
      id: `irc/reply-1/${i}`,
      bridgeId: "irc",
      chatId: "alice",
      text: `piece ${i}`,
    }));
    outbox.enqueue(pieces);
    // Same created_at for every piece (one transaction, ms clock): the order must not come from the ids,
    // where "…/10" sorts before "…/2".
    expect(outbox.pending("irc").map((e) => e.text)).toEqual(pieces.map((p) => p.text));
  });

  it("keeps a sent piece sent when the same reply is stored again", () => {
    const outbox = new Outbox(db);
    outbox.enqueue([{ id: "irc/reply-2/0", bridgeId: "irc", chatId: "bob", text: "hello" }]);
    outbox.markSent("irc/reply-2/0", "m1");
    const [again] = outbox.enqueue([{ id: "irc/reply-2/0", bridgeId: "irc", chatId: "bob", text: "hello" }]);
    expect(again?.status).toBe("sent");
    expect(outbox.pending("irc").some((e) => e.id === "irc/reply-2/0")).toBe(false);
  });
});
