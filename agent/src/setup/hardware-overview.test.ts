import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { setupFlowLanguages } from "../app/start-agent.js";
import { loadProfiles } from "../hardware/profiles.js";
import { loadHardwareReport } from "../hardware/report-schema.js";
import { loadCatalogue } from "../models/catalogue.js";
import { ModelStore } from "../models/store.js";
import { REPO_ROOT } from "../paths.js";
import { hardwareOverview } from "./hardware-overview.js";

const tmp = mkdtempSync(join(tmpdir(), "clawbox-overview-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("hardwareOverview (wizard step 5)", () => {
  it("matches the profile, recommends with the store's files, and prefers Chinese-capable models for zh-CN", async () => {
    const report = loadHardwareReport(
      join(REPO_ROOT, "test", "fixtures", "hardware", "raspberry-pi-5-8gb.json"),
    );
    const catalogue = loadCatalogue();
    const store = new ModelStore(join(tmp, "models"), { catalogue });
    const plain = await hardwareOverview(report, loadProfiles(), null, catalogue, store, {
      minTokensPerSecond: 5,
    });
    expect(plain.profile).toMatch(/raspberry-pi-5/);
    expect(plain.installed).toEqual([]);
    expect(plain.recommendation.choice).not.toBeNull();
    expect(setupFlowLanguages("zh-CN")).toEqual(["zh"]);
    expect(setupFlowLanguages("en")).toEqual([]);
    const zh = await hardwareOverview(report, loadProfiles(), plain.profile, catalogue, store, {
      minTokensPerSecond: 5,
      languages: setupFlowLanguages("zh-CN"),
    });
    const chosen = catalogue.find((m) => m.id === zh.recommendation.choice?.model);
    expect(chosen?.languages).toContain("zh");
  });
});
