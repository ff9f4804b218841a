import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuiltCli, runCli } from "./cli-process.js";

let dir: string;
beforeAll(() => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), "clawbox-cli-config-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("clawbox config", () => {
  it("validate: prints ok and exits 0 for a valid file", async () => {
    const file = join(dir, "good.yaml");
    writeFileSync(file, "server:\n  port: 8081\nmodel: qwen2.5-1.5b-instruct\n");
    const run = await runCli(["config", "validate", file]);
    expect(run).toMatchObject({ code: 0, stdout: "ok\n" });
  });

  it("validate: names file, line, key and fix, and exits 1 for a bad file", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "server:\n  port: 8081\n  hots: 0.0.0.0\n");
    const run = await runCli(["config", "validate", file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`${file}:3: server.hots is not a known key`);
    expect(run.stderr).toContain("fix: remove or rename server.hots");
    expect(run.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it("show: prints the effective config with the defaults filled in", async () => {
    const file = join(dir, "show.yaml");
    writeFileSync(file, "server:\n  port: 9009\n");
    const run = await runCli(["config", "show", "--config", file, "--json"]);
    expect(run.code).toBe(0);
    const shown = JSON.parse(run.stdout);
    expect(shown.server).toEqual({ host: "127.0.0.1", port: 9009 });
    expect(shown.inference.maxQueue).toBe(32);
  });

  it("token: prints the same token twice and a new one after --rotate", async () => {
    const dataDir = join(dir, "data");
    const a = await runCli(["token", "--data-dir", dataDir]);
    const b = await runCli(["token", "--data-dir", dataDir]);
    const c = await runCli(["token", "--data-dir", dataDir, "--rotate"]);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^cbx_[A-Za-z0-9_-]{43}\n$/);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).not.toBe(a.stdout);
    expect(c.stderr).toContain("restart the agent");
  });
});
