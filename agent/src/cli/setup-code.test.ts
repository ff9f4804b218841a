import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureSetupCode, removeSetupCode } from "../setup/setup-code.js";
import { runCommand } from "./cli-test-kit.js";
import { register } from "./setup-code.js";

const tmp = mkdtempSync(join(tmpdir(), "clawbox-cli-code-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(...args: string[]): Promise<string> {
  return (await runCommand(register, ...args)).out;
}

describe("clawbox setup-code", () => {
  it("prints the data dir's code, and says why when there is none", async () => {
    const code = ensureSetupCode(tmp);
    expect(await run("setup-code", "--data-dir", tmp)).toBe(`${code}\n`);
    removeSetupCode(tmp);
    await expect(run("setup-code", "--data-dir", tmp)).rejects.toThrow(/no setup code/);
  });
});
