import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProfiles, matchProfile } from "../hardware/profiles.js";
import { loadHardwareReport } from "../hardware/report-schema.js";
import { REPO_ROOT } from "../paths.js";
import { loadCatalogue } from "./catalogue.js";
import { GIB } from "./fit.js";
import {
  formatReasonParam,
  REASON_EN,
  REASON_KEYS,
  type ReasonPart,
  renderReasonEn,
} from "./reason-parts.js";
import { recommend } from "./select.js";
import type { Recommendation } from "./types.js";

const catalogue = loadCatalogue();
const profiles = loadProfiles();
const dir = join(REPO_ROOT, "test", "fixtures", "hardware");
const fixtures = readdirSync(dir).filter((f) => f.endsWith(".json"));

function recommendFor(file: string, mutate?: (r: ReturnType<typeof loadHardwareReport>) => void) {
  const report = loadHardwareReport(join(dir, file));
  mutate?.(report);
  return recommend(report, matchProfile(report, profiles).profile, catalogue, { preferLanguages: ["zh"] });
}

/** Every placeholder of the key's English text has a param, and every param is a finite number or a string. */
function expectComplete(parts: ReasonPart[]): void {
  expect(parts.length).toBeGreaterThan(0);
  for (const p of parts) {
    expect(REASON_KEYS).toContain(p.key);
    const names = [...REASON_EN[p.key].matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const name of names) expect(Object.keys(p.params), `${p.key} {${name}}`).toContain(name);
    for (const v of Object.values(p.params))
      if (typeof v === "number") expect(Number.isFinite(v)).toBe(true);
      else expect(typeof v).toBe("string");
  }
}

const find = (rec: Recommendation, key: string) => rec.reasonParts?.find((p) => p.key === key);

describe("the explanation as message keys + numbers", () => {
  it.each(fixtures)(
    "%s: reason and notes are the English rendering of their parts, nothing left unfilled",
    (file) => {
      const rec = recommendFor(file);
      expectComplete(rec.reasonParts ?? []);
      expect(rec.reason).toBe(renderReasonEn(rec.reasonParts ?? []));
      expect(rec.reason).not.toMatch(/\{\w+\}/);
      for (const a of rec.alternatives) {
        expectComplete(a.noteParts ?? []);
        expect(a.note).toBe(renderReasonEn(a.noteParts ?? []));
      }
    },
  );

  it("the choice's numbers are numbers: file size in GB, memory need and budget in GiB, speed in tokens/s", () => {
    const rec = recommendFor("raspberry-pi-5-8gb.json");
    const c = rec.choice;
    if (!c) throw new Error("the Pi 5 8 GB should get a model");
    const chose = find(rec, "model.reason.chose");
    expect(chose?.params.quant).toBe(c.quant);
    expect(chose?.params.contextSize).toBe(c.contextSize);
    expect(chose?.params.fileGB).toBeCloseTo(c.fileBytes / 1e9, 6);
    const memory = find(rec, "model.reason.memory");
    expect(memory?.params.needGiB).toBeCloseTo(c.memory.totalBytes / GIB, 3);
    expect(memory?.params.budgetGiB).toBeCloseTo(c.budgetBytes / GIB, 3);
    expect(find(rec, "model.reason.speed")?.params.tokensPerSecond).toBe(c.estimatedTokensPerSecond);
    expect(find(rec, "model.reason.budget.cpu")).toBeDefined();
    expect(find(rec, "model.reason.speedMath.cpu")).toBeDefined();
    // the Chinese preference is explained too
    expect(find(rec, "model.reason.languages.covered")?.params.languages).toBe("zh");
  });

  it("a discrete GPU: layers and VRAM named with the GPU model", () => {
    const rec = recommendFor("rtx-4090-desktop.json");
    const placement = rec.reasonParts?.find((p) => p.key.startsWith("model.reason.placement."));
    expect(placement?.params.gpu).toMatch(/4090/);
    expect(find(rec, "model.reason.budget.discrete")?.params.vramGiB).toBeGreaterThan(20);
  });

  it("nothing fits the disk: the parts carry the free, usable and missing GB", () => {
    const rec = recommendFor("raspberry-pi-5-8gb.json", (r) => {
      r.diskFreeBytes = 200e6;
    });
    expect(rec.choice).toBeNull();
    const disk = find(rec, "model.reason.none.disk");
    expect(disk?.params.diskFreeGB).toBeCloseTo(0.2, 6);
    const fix = find(rec, "model.reason.none.diskFix");
    expect(fix?.params.missingGB).toBeGreaterThan(0);
    expect(rec.reason).toContain("Free at least");
    expect(rec.alternatives.every((a) => a.noteParts?.[0]?.key === "model.reason.note.noDisk")).toBe(true);
  });

  it("formats a parameter by its unit suffix", () => {
    expect(formatReasonParam("needGiB", 2.345)).toBe("2.3");
    expect(formatReasonParam("fileGB", 0.9861)).toBe("0.99");
    expect(formatReasonParam("tokensPerSecond", 7.26)).toBe("7.3");
    expect(formatReasonParam("tokensPerSecond", 123.4)).toBe("123");
    expect(formatReasonParam("floor", 5)).toBe("5");
    expect(formatReasonParam("headroomPercent", 19.6)).toBe("20");
    expect(formatReasonParam("contextSize", 4096)).toBe("4096");
    expect(formatReasonParam("model", "Qwen2.5 1.5B")).toBe("Qwen2.5 1.5B");
  });
});
