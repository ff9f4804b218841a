import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { applyOverrides, configDataDir, defaultConfig, loadConfig } from "./load-config.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("defaultConfig", () => {
  it("fills every default from the schema", () => {
    expect(defaultConfig()).toEqual({
      server: { host: "127.0.0.1", port: 8080 },
      inference: { requestTimeoutMs: 120000, maxQueue: 32, maxTokensDefault: 512 },
      recommend: { minTokensPerSecond: 5 },
      log: { level: "info" },
      jobs: {
        retention: { schedule: "0 3 * * *", conversationDays: 90, outboxDays: 7, logDays: 14 },
        maintenance: { schedule: "30 3 * * *", integritySchedule: "0 4 * * 0" },
        backup: { schedule: "0 2 * * *", keep: 7 },
      },
      // prompts stay on the device unless the owner opts out
      routing: { localOnly: true, fallback: ["local"] },
    });
  });

  it("returns independent objects", () => {
    const a = defaultConfig();
    a.server.port = 1;
    expect(defaultConfig().server.port).toBe(8080);
  });
});

describe("loadConfig precedence", () => {
  it("uses built-in defaults when no file is given and the device config is absent", () => {
    const loaded = loadConfig(undefined, { deviceConfigPath: join(dir, "absent.yaml") });
    expect(loaded.file).toBeNull();
    expect(loaded.config.server.port).toBe(8080);
  });

  it("reads the device config when it exists", () => {
    const device = write("device.yaml", "server:\n  port: 9000\n");
    const loaded = loadConfig(undefined, { deviceConfigPath: device });
    expect(loaded.file).toBe(device);
    expect(loaded.config.server).toEqual({ host: "127.0.0.1", port: 9000 });
  });

  it("prefers --config over the device config", () => {
    const device = write("device.yaml", "server:\n  port: 9000\n");
    const explicit = write("mine.yaml", "server:\n  port: 9001\nlog:\n  level: debug\n");
    const loaded = loadConfig(explicit, { deviceConfigPath: device });
    expect(loaded.file).toBe(explicit);
    expect(loaded.config.server.port).toBe(9001);
    expect(loaded.config.log.level).toBe("debug");
    expect(loaded.config.inference.maxQueue).toBe(32);
  });

  it("lets flags override the file", () => {
    const file = write("c.yaml", "server:\n  port: 9001\n  host: 0.0.0.0\nmodel: qwen2.5-0.5b-instruct\n");
    const { config } = loadConfig(file);
    const out = applyOverrides(config, { port: 7000, threads: 2, model: "x/m.gguf", dataDir: "rel" });
    expect(out.server).toEqual({ host: "0.0.0.0", port: 7000 });
    expect(out.inference.threads).toBe(2);
    expect(out.model).toBe(join(process.cwd(), "x/m.gguf"));
    expect(out.dataDir).toBe(join(process.cwd(), "rel"));
    expect(config.server.port).toBe(9001);
  });

  it("resolves relative paths in a file against the file's folder", () => {
    const file = write("c.yaml", "dataDir: state\nmodel: models/tiny.gguf\n");
    const { config } = loadConfig(file);
    expect(config.dataDir).toBe(join(dir, "state"));
    expect(config.model).toBe(join(dir, "models/tiny.gguf"));
    expect(configDataDir(config, {})).toBe(join(dir, "state"));
  });

  it("keeps a catalogue id as an id", () => {
    const { config } = loadConfig(write("c.yaml", "model: qwen2.5-1.5b-instruct\n"));
    expect(config.model).toBe("qwen2.5-1.5b-instruct");
  });

  it("treats an empty file as all defaults", () => {
    expect(loadConfig(write("empty.yaml", "")).config).toEqual(defaultConfig());
  });
});

describe("loadConfig errors", () => {
  function errorOf(text: string): UserError {
    const file = write("bad.yaml", text);
    try {
      loadConfig(file);
    } catch (err) {
      if (err instanceof UserError) return err;
      throw err;
    }
    throw new Error("expected a UserError");
  }

  it("names file, line and key of an unknown key", () => {
    const err = errorOf("server:\n  port: 8080\ninference:\n  thread: 4\n");
    expect(err.message).toBe(`config ${join(dir, "bad.yaml")}:4: inference.thread is not a known key`);
    expect(err.fix).toMatch(/inference\.thread/);
  });

  it("rejects a wrong type with its line", () => {
    const err = errorOf("log:\n  level: loud\n");
    expect(err.message).toContain("bad.yaml:2: log.level must be one of:");
  });

  it("rejects a port out of range", () => {
    expect(errorOf("server:\n  port: 99999\n").message).toContain(":2: server.port must be <= 65535");
  });

  it("names a missing file", () => {
    expect(() => loadConfig(join(dir, "nope.yaml"))).toThrow(/no such file/);
  });

  it("rejects a bad flag", () => {
    expect(() => applyOverrides(defaultConfig(), { port: 70000 })).toThrow(/--port 70000/);
    expect(() => applyOverrides(defaultConfig(), { threads: 0 })).toThrow(UserError);
  });
});
