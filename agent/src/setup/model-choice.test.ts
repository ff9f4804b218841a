import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { testModelPath } from "../../../test/support/test-model.js";
import { loadConfig } from "../config/load-config.js";
import { UserError } from "../errors.js";
import { ModelStore } from "../models/store.js";
import { LoadOnlyInference } from "../server/routes/setup-test-kit.js";
import { openDatabase } from "../store/database.js";
import { CHOSEN_MODEL_KEY, ModelChoice, startupModel, writeConfigModel } from "./model-choice.js";
import { SettingsStore } from "./settings-store.js";

const tmp = mkdtempSync(join(tmpdir(), "clawbox-model-choice-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const dir = join(tmp, String(n++));
  mkdirSync(dir);
  return dir;
};

/** A model choice over a real database, store and config file; the engine stand-in records loads. */
async function setUp(configText: string | null) {
  const dir = fresh();
  const db = openDatabase(join(dir, "data"));
  const settings = new SettingsStore(db);
  const store = new ModelStore(join(dir, "models"), { catalogue: [], env: {} });
  mkdirSync(store.dir, { recursive: true });
  const configFile = configText === null ? null : join(dir, "config.yaml");
  if (configFile && configText !== null) writeFileSync(configFile, configText);
  const inference = new LoadOnlyInference();
  const choice = new ModelChoice({
    settings,
    configFile,
    resolve: (ref) => store.resolve(ref),
    load: (path) => inference.load({ id: "chosen", path, contextSize: 256, threads: 1, gpuLayers: 0 }),
  });
  return { dir, db, settings, store, configFile, inference, choice };
}

describe("writeConfigModel", () => {
  it("sets model in place: the owner's comments and keys stay, the file is 0600 and loads back", () => {
    const file = join(fresh(), "config.yaml");
    writeFileSync(file, "# my device\nserver:\n  port: 8123 # moved\nmodel: old.gguf\n");
    writeConfigModel(file, "/var/lib/clawbox/models/new.gguf");
    const text = readFileSync(file, "utf8");
    expect(text).toContain("# my device");
    expect(text).toContain("port: 8123 # moved");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const { config } = loadConfig(file);
    expect(config.model).toBe("/var/lib/clawbox/models/new.gguf");
    expect(config.server.port).toBe(8123);
  });

  it("creates a missing file, and refuses a config that would be invalid without writing", () => {
    const dir = fresh();
    writeConfigModel(join(dir, "new.yaml"), "/m/a.gguf");
    expect(loadConfig(join(dir, "new.yaml")).config.model).toBe("/m/a.gguf");
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "server:\n  port: not-a-number\n");
    let err: unknown;
    try {
      writeConfigModel(bad, "/m/a.gguf");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe("config_file_unwritable");
    expect(readFileSync(bad, "utf8")).toBe("server:\n  port: not-a-number\n");
  });
});

describe("ModelChoice", () => {
  it("a chosen file already in the store: config, settings and the running model all name it", async () => {
    const k = await setUp("log:\n  level: info\n");
    try {
      const path = join(k.store.dir, "stories.gguf");
      copyFileSync(await testModelPath(), path);
      const loaded = await k.choice.applyIfPresent("stories.gguf");
      expect(loaded?.path).toBe(path);
      expect(k.inference.model?.path).toBe(path);
      expect(loadConfig(k.configFile as string).config.model).toBe(path);
      expect(k.choice.current()).toMatchObject({ ref: "stories.gguf", path, savedTo: k.configFile });
      expect(startupModel(k.settings)?.path).toBe(path);
    } finally {
      k.db.close();
    }
  });

  it("a choice not yet downloaded is left to the download step: nothing written, nothing loaded", async () => {
    const k = await setUp("log:\n  level: info\n");
    try {
      expect(await k.choice.applyIfPresent("https://example.org/models/later.gguf")).toBeNull();
      expect(k.inference.model).toBeNull();
      expect(loadConfig(k.configFile as string).config.model).toBeUndefined();
      expect(k.settings.get(CHOSEN_MODEL_KEY)).toBeUndefined();
      expect(startupModel(k.settings)).toBeNull();
    } finally {
      k.db.close();
    }
  });

  it("a file that does not load is not configured: the config file and the settings stay as they were", async () => {
    const k = await setUp("log:\n  level: info\n");
    try {
      const broken = new ModelChoice({
        settings: k.settings,
        configFile: k.configFile,
        resolve: (ref) => k.store.resolve(ref),
        load: async (path) => {
          throw new UserError(`cannot load ${path}`, { code: "model_load_failed" });
        },
      });
      const path = join(k.store.dir, "broken.gguf");
      writeFileSync(path, "not a GGUF");
      await expect(broken.applyIfPresent("broken.gguf")).rejects.toThrow(/cannot load/);
      expect(readFileSync(k.configFile as string, "utf8")).toBe("log:\n  level: info\n");
      expect(startupModel(k.settings)).toBeNull();
    } finally {
      k.db.close();
    }
  });

  it("without a config file the choice is kept in the settings; a deleted file is not offered at start", async () => {
    const k = await setUp(null);
    try {
      const path = join(k.store.dir, "stories.gguf");
      copyFileSync(await testModelPath(), path);
      await k.choice.apply("http://models.local/stories.gguf", path);
      expect(k.choice.current()?.savedTo).toBeNull();
      expect(startupModel(k.settings)).toMatchObject({ path, contextSize: null, gpuLayers: null });
      rmSync(path);
      expect(startupModel(k.settings)).toBeNull();
    } finally {
      k.db.close();
    }
  });
});
