import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateHardwareReport } from "../hardware/report-schema.js";
import { runCommand } from "./cli-test-kit.js";
import { register } from "./detect.js";

const tmp = mkdtempSync(join(tmpdir(), "clawbox-cli-detect-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(...args: string[]): Promise<string> {
  return (await runCommand(register, ...args)).out;
}

describe("clawbox detect", () => {
  it("--json prints a valid HardwareReport measured for --models-dir", async () => {
    const report = validateHardwareReport(
      JSON.parse(await run("detect", "--json", "--models-dir", join(tmp, "m"))),
    );
    expect(report.cpu.logicalCores).toBe(cpus().length);
    expect(report.diskPath).toBe(tmp);
  });

  it("uses <data dir>/models when only --data-dir is given", async () => {
    const report = JSON.parse(await run("detect", "--json", "--data-dir", join(tmp, "data")));
    expect(report.diskPath).toBe(tmp);
  });

  it("prints a summary with CPU, memory, disk and the matched profile", async () => {
    const text = await run("detect", "--models-dir", tmp);
    expect(text).toMatch(new RegExp(`^CPU: .*${cpus().length} threads`, "m"));
    expect(text).toMatch(/^Memory: +\d+\.\d GiB total, \d+\.\d GiB available, swap \d+\.\d GiB$/m);
    expect(text).toMatch(/^Disk: +\d+\.\d GiB free at /m);
    expect(text).toMatch(/^Profile: +\S+ \(.+\)\n +why: arch /m);
  });
});
