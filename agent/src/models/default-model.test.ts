import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { testModelPath } from "../../../test/support/test-model.js";
import { loadProfiles, matchProfile } from "../hardware/profiles.js";
import { loadHardwareReport } from "../hardware/report-schema.js";
import { REPO_ROOT } from "../paths.js";
import { loadCatalogue } from "./catalogue.js";
import { pickDefaultModel } from "./default-model.js";
import { recommend } from "./select.js";
import { ModelStore } from "./store.js";

const root = mkdtempSync(join(tmpdir(), "clawbox-default-model-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const catalogue = loadCatalogue();
const report = loadHardwareReport(join(REPO_ROOT, "test/fixtures/hardware/raspberry-pi-5-8gb.json"));
const { profile } = matchProfile(report, loadProfiles());

function storeIn(name: string): ModelStore {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return new ModelStore(dir, { catalogue });
}

describe("pickDefaultModel", () => {
  it("returns null for an empty store (never downloads)", async () => {
    expect(await pickDefaultModel(report, profile, catalogue, storeIn("empty"))).toBeNull();
  });

  it("loads the recommended model when its file is in the store, with the recommended context size", async () => {
    const rec = recommend(report, profile, catalogue, {});
    if (!rec.choice) throw new Error("the Pi 5 fixture must have a recommendation");
    const store = storeIn("recommended");
    // A real GGUF under the recommended file's name, next to an unrelated newer one.
    copyFileSync(await testModelPath(), join(store.dir, basename(rec.choice.uri)));
    copyFileSync(await testModelPath(), join(store.dir, "other.gguf"));
    const pick = await pickDefaultModel(report, profile, catalogue, store);
    expect(pick?.path).toBe(join(store.dir, basename(rec.choice.uri)));
    expect(pick?.contextSize).toBe(rec.choice.contextSize);
    expect(pick?.gpuLayers).toBe(0);
    expect(pick?.why).toContain(rec.choice.model);
  });

  it("falls back to the newest model in the store", async () => {
    const store = storeIn("newest");
    copyFileSync(await testModelPath(), join(store.dir, "old.gguf"));
    copyFileSync(await testModelPath(), join(store.dir, "new.gguf"));
    utimesSync(join(store.dir, "old.gguf"), new Date("2026-01-01"), new Date("2026-01-01"));
    const pick = await pickDefaultModel(report, profile, catalogue, store);
    expect(pick?.path).toBe(join(store.dir, "new.gguf"));
    expect(pick?.contextSize).toBeNull();
  });
});
