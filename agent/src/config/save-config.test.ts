import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import type { ClawboxConfig } from "./config-schema.js";
import { defaultConfig, loadConfig } from "./load-config.js";
import { saveConfig } from "./save-config.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-save-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("saveConfig", () => {
  it("round-trips the content and leaves no temp file", () => {
    const file = join(dir, "config.yaml");
    const config: ClawboxConfig = defaultConfig();
    config.server.port = 9123;
    config.server.corsOrigins = ["http://clawbox.local"];
    config.model = "/models/tiny.gguf";
    config.inference.threads = 3;
    config.recommend.languages = ["en", "zh"];
    saveConfig(file, config);
    expect(loadConfig(file).config).toEqual(config);
    expect(readdirSync(dir)).toEqual(["config.yaml"]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("replaces an existing file whole", () => {
    const file = join(dir, "config.yaml");
    writeFileSync(file, "server:\n  port: 1\n".repeat(1));
    saveConfig(file, defaultConfig());
    const text = readFileSync(file, "utf8");
    expect(text).toContain("port: 8080");
    expect(text).not.toContain("port: 1\n");
    expect(readdirSync(dir)).toEqual(["config.yaml"]);
  });

  it("refuses an invalid config and writes nothing", () => {
    const file = join(dir, "config.yaml");
    const bad = defaultConfig() as unknown as { server: { port: unknown } };
    bad.server.port = "eighty";
    expect(() => saveConfig(file, bad as unknown as ClawboxConfig)).toThrow(UserError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("reports a missing folder as a UserError and leaves no temp file", () => {
    expect(() => saveConfig(join(dir, "no", "config.yaml"), defaultConfig())).toThrow(/cannot write config/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
