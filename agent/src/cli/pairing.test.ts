import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PairingStore } from "../pairing/pairing-store.js";
import { AuditLog } from "../store/audit-log.js";
import { openDatabase } from "../store/database.js";
import { runCommand } from "./cli-test-kit.js";
import { register } from "./pairing.js";

const tmp = mkdtempSync(join(tmpdir(), "clawbox-cli-pairing-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(...args: string[]): Promise<string> {
  return (await runCommand(register, ...args)).out;
}

describe("clawbox pairing", () => {
  it("lists, approves and denies codes in the data dir's database", async () => {
    const db = openDatabase(tmp);
    const store = new PairingStore(db);
    const a = store.request("irc-lan", { id: "alice-account", name: "alice", chatId: "alice" });
    const b = store.request("irc-lan", { id: "mallory-account", chatId: "mallory" });
    if (a.kind !== "created" || b.kind !== "created") throw new Error("expected new codes");
    expect(await run("pairing", "list", "--data-dir", tmp)).toContain(
      `irc-lan  ${a.request.code}  alice (alice-account)`,
    );
    expect(await run("pairing", "approve", "irc-lan", a.request.code, "--data-dir", tmp)).toBe(
      "Approved alice on irc-lan.\n",
    );
    expect(await run("pairing", "deny", "irc-lan", b.request.code, "--data-dir", tmp)).toBe(
      "Denied mallory-account on irc-lan.\n",
    );
    expect(store.isApproved("irc-lan", "alice-account")).toBe(true);
    // the owner's decisions are in the audit log, as taken from the shell
    expect(
      new AuditLog(db).list().map((e) => `${e.action} ${e.target} ${e.actor.startsWith("cli:")}`),
    ).toEqual([
      `pairing.deny irc-lan/${b.request.code} true`,
      `pairing.approve irc-lan/${a.request.code} true`,
    ]);
    expect(store.isApproved("irc-lan", "mallory-account")).toBe(false);
    const listed = await run("pairing", "list", "--data-dir", tmp);
    expect(listed).toContain("No pending pairing codes.");
    expect(listed).toContain("irc-lan  alice (alice-account)");
    await expect(run("pairing", "approve", "irc-lan", "ZZZZZZZZ", "--data-dir", tmp)).rejects.toThrow(
      /no pending pairing code ZZZZZZZZ/,
    );
    db.close();
  });
});
