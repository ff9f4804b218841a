import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { REPO_ROOT } from "../paths.js";
import { runCommand } from "./cli-test-kit.js";
import { register } from "./recommend.js";

const fixture = (name: string) => join(REPO_ROOT, "test", "fixtures", "hardware", `${name}.json`);

async function run(...args: string[]): Promise<string> {
  return (await runCommand(register, ...args)).out;
}

describe("clawbox recommend", () => {
  it("--hardware FILE --json prints the recommendation for that device", async () => {
    const rec = JSON.parse(await run("recommend", "--hardware", fixture("raspberry-pi-5-8gb"), "--json"));
    expect(rec.profile).toBe("raspberry-pi-5");
    expect(rec.choice.quant).toBe("Q4_K_M");
    expect(rec.choice.threads).toBe(4);
    expect(Array.isArray(rec.alternatives)).toBe(true);
  });

  it("explains in words, with a table of alternatives", async () => {
    const text = await run("recommend", "--hardware", fixture("rtx-4090-desktop"));
    expect(text).toMatch(/^Device profile: x86-nvidia \(/);
    expect(text).toMatch(/Recommended: .* Q(8_0|6_K)/);
    expect(text).toContain("clawbox models pull ");
    expect(text).toMatch(/MODEL\s+QUANT\s+MEMORY\s+TOKENS\/S\s+FIT\s+NOTE/);
  });

  it("takes a report made by another tool: documented fields only, extra keys warned about", async () => {
    const report = JSON.parse(readFileSync(fixture("raspberry-pi-5-8gb"), "utf8"));
    delete report.schemaVersion;
    delete report.platform;
    report.inventoryTag = "lab-7";
    const file = join(mkdtempSync(join(tmpdir(), "clawbox-rec-")), "other-tool.json");
    writeFileSync(file, JSON.stringify(report));
    const { out, err } = await runCommand(register, "recommend", "--hardware", file, "--json");
    expect(JSON.parse(out).profile).toBe("raspberry-pi-5");
    expect(err).toBe(`warning: hardware report ${file}: inventoryTag is not a key clawbox reads; kept\n`);
  });

  it("--min-tps, --context and --lang reach the choice", async () => {
    const slow = JSON.parse(
      await run("recommend", "--hardware", fixture("raspberry-pi-5-8gb"), "--json", "--min-tps", "2"),
    );
    expect(slow.choice.estimatedTokensPerSecond).toBeLessThan(5);
    const ctx = JSON.parse(
      await run("recommend", "--hardware", fixture("raspberry-pi-5-8gb"), "--json", "--context", "2048"),
    );
    expect(ctx.choice.contextSize).toBe(2048);
    const zh = JSON.parse(
      await run("recommend", "--hardware", fixture("raspberry-pi-4-2gb"), "--json", "--lang", "zh"),
    );
    expect(zh.reason).toContain("zh");
  });

  it("refuses bad numbers and bad reports with a UserError", async () => {
    await expect(
      run("recommend", "--hardware", fixture("raspberry-pi-5-8gb"), "--min-tps", "fast"),
    ).rejects.toBeInstanceOf(UserError);
    await expect(
      run("recommend", "--hardware", fixture("raspberry-pi-5-8gb"), "--context", "100"),
    ).rejects.toBeInstanceOf(UserError);
    await expect(run("recommend", "--hardware", join(REPO_ROOT, "package.json"))).rejects.toBeInstanceOf(
      UserError,
    );
  });

  it("offers the configured remote backend when nothing fits this device", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clawbox-rec-"));
    try {
      const report = JSON.parse(readFileSync(fixture("raspberry-pi-4-2gb"), "utf8"));
      report.memory.availableBytes = 800 * 1024 ** 2;
      writeFileSync(join(dir, "report.json"), JSON.stringify(report));
      const config = join(dir, "config.yaml");
      writeFileSync(
        config,
        "backends:\n  big-box:\n    url: http://big-box.local:8080/v1\n    token: t0k\nrouting:\n  localOnly: false\n",
      );
      const args = ["recommend", "--hardware", join(dir, "report.json"), "--config", config, "--no-discover"];
      const rec = JSON.parse(await run(...args, "--json"));
      expect(rec.choice).toBeNull();
      expect(rec.remote).toEqual([
        { name: "big-box", url: "http://big-box.local:8080/v1", source: "configured", ready: true },
      ]);
      expect(await run(...args)).toContain("run `clawbox models use remote:big-box`");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
