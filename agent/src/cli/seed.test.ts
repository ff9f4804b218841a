import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCommand } from "./cli-test-kit.js";
import { register } from "./seed.js";

// `clawbox seed import` against a temporary root: a rejected seed leaves one line in the report and the
// seed in place; a good one removes the stale report.

let root: string;
let report: string;
let seed: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "clawbox-seed-cli-"));
  for (const d of ["etc/clawbox", "boot/efi"]) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, "etc/hostname"), "clawbox-ab12\n");
  report = join(root, "etc/clawbox/seed-error");
  seed = join(root, "boot/efi/clawbox.yaml");
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const importSeed = () =>
  runCommand(register, "seed", "import", "--file", seed, "--report", report, "--root", root);

describe("clawbox seed import", () => {
  it("writes one error line to the report and keeps the seed when it is invalid", async () => {
    writeFileSync(seed, "version: 1\nhostname: Not_A_Name\n");
    await expect(importSeed()).rejects.toThrow(/clawbox\.yaml:2: hostname must be one lower-case label/);
    const lines = readFileSync(report, "utf8").split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^seed file .*clawbox\.yaml:2: hostname must be .* — fix: change hostname/);
    expect(readFileSync(join(root, "etc/hostname"), "utf8")).toBe("clawbox-ab12\n");
    expect(existsSync(seed)).toBe(true);
  });

  it("applies a valid seed, prints what changed and removes a stale report", async () => {
    writeFileSync(report, "an old error\n");
    writeFileSync(seed, "version: 1\nhostname: clawbox-kitchen\n");
    const { out } = await importSeed();
    expect(out).toContain("seed: set hostname clawbox-kitchen\n");
    expect(readFileSync(join(root, "etc/hostname"), "utf8")).toBe("clawbox-kitchen\n");
    expect(existsSync(report)).toBe(false);
    expect(existsSync(`${seed}.applied`)).toBe(true);
  });
});
