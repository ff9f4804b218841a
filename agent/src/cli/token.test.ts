import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readApiToken } from "../server/api-token.js";
import { AuditLog } from "../store/audit-log.js";
import { openDatabase } from "../store/database.js";
import { runCommand } from "./cli-test-kit.js";
import { register } from "./token.js";

const tmp = mkdtempSync(join(tmpdir(), "clawbox-cli-token-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("clawbox token", () => {
  it("prints the token, and a rotation writes a new one and an audit entry (without the token)", async () => {
    const first = (await runCommand(register, "token", "--data-dir", tmp)).out.trim();
    expect(first).toBe(readApiToken(tmp));
    const rotated = (await runCommand(register, "token", "--rotate", "--data-dir", tmp)).out.trim();
    expect(rotated).not.toBe(first);
    expect(readApiToken(tmp)).toBe(rotated);
    const db = openDatabase(tmp);
    const entries = new AuditLog(db).list();
    db.close();
    expect(entries.map((e) => [e.action, e.actor.startsWith("cli:"), e.outcome])).toEqual([
      ["token.rotate", true, "ok"],
    ]);
    expect(JSON.stringify(entries)).not.toContain(rotated);
  });
});
