import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { requireBuiltCli, runCli } from "../../../test/api/cli-process.js";
import { AdminAccounts } from "../setup/admin-accounts.js";
import { AuditLog } from "../store/audit-log.js";
import { openDatabase } from "../store/database.js";

const tmp = mkdtempSync(join(tmpdir(), "clawbox-cli-accounts-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("clawbox accounts (built CLI, password on stdin)", () => {
  it("adds a viewer, lists, refuses a weak password and the last admin, removes, and audits each change", async () => {
    requireBuiltCli();
    const db = openDatabase(tmp);
    await new AdminAccounts(db, { N: 2 ** 10, r: 8, p: 1 }).setAdmin("owner", "purple-tractor-sings");
    db.close();
    const added = await runCli(["accounts", "add", "gran", "--data-dir", tmp], {
      input: "quiet-harbour-lights-7\n",
    });
    expect(added).toMatchObject({ code: 0, stdout: "Added gran (viewer).\n" });
    const listed = (await runCli(["accounts", "list", "--data-dir", tmp])).stdout;
    expect(listed).toMatch(/^owner {2}admin {2}since .*\ngran {2}viewer {2}since /);
    const weak = await runCli(["accounts", "add", "kid", "--data-dir", tmp], { input: "1234\n" });
    expect(weak.code).not.toBe(0);
    expect(weak.stderr).toContain("weak password");
    const last = await runCli(["accounts", "remove", "owner", "--data-dir", tmp]);
    expect(last.stderr).toContain("this is the only admin account");
    expect((await runCli(["accounts", "remove", "gran", "--data-dir", tmp])).stdout).toBe("Removed gran.\n");

    const check = openDatabase(tmp);
    const entries = new AuditLog(check)
      .list()
      .map((e) => `${e.action} ${e.target} ${e.actor.startsWith("cli:")}`);
    check.close();
    expect(entries).toEqual(["account.remove gran true", "account.create gran true"]);
  });
});
