import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { REPO_ROOT } from "../paths.js";
import { loadHardwareReport, validateHardwareReport } from "./report-schema.js";

const fixturesDir = join(REPO_ROOT, "test", "fixtures", "hardware");
const fixtures = readdirSync(fixturesDir).filter((f) => f.endsWith(".json"));
const pi5 = () => JSON.parse(readFileSync(join(fixturesDir, "raspberry-pi-5-8gb.json"), "utf8"));
const tmp = mkdtempSync(join(tmpdir(), "clawbox-report-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error("expected a UserError");
}

describe("saved HardwareReports of real devices", () => {
  it("there are at least the twelve devices the recommender is tested on", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(12);
  });

  it.each(fixtures)("%s validates and says where it comes from", (file) => {
    const report = loadHardwareReport(join(fixturesDir, file));
    expect(report.source).toMatch(/^built from /);
    expect(report.memory.availableBytes).toBeLessThan(report.memory.totalBytes);
    expect((report.cpu.performanceCores ?? 0) + (report.cpu.efficiencyCores ?? 0)).toBe(
      report.cpu.physicalCores,
    );
    const clustered = (report.cpu.clusters ?? []).flatMap((c) => c.cpuIds).sort((a, b) => a - b);
    expect(clustered).toEqual([...Array(report.cpu.logicalCores).keys()]);
  });
});

describe("validateHardwareReport", () => {
  it("names a field of the wrong type", () => {
    const r = pi5();
    r.cpu.physicalCores = "four";
    const err = errorOf(() => validateHardwareReport(r, "hardware report pi.json"));
    expect(err.code).toBe("hardware_report");
    expect(err.message).toBe("hardware report pi.json: cpu.physicalCores must be integer");
  });

  it("names a misspelt, a missing and an out-of-range field", () => {
    const typo = pi5();
    typo.memory.swapbytes = 0;
    const typoErr = errorOf(() => validateHardwareReport(typo));
    expect(typoErr.message).toBe("hardware report: memory.swapbytes is not a known field");
    expect(typoErr.fix).toMatch(/^did you mean memory\.swapBytes\?/);
    const nested = pi5();
    nested.gpus[0].vramByte = 0;
    expect(errorOf(() => validateHardwareReport(nested)).fix).toMatch(/^did you mean gpus\.0\.vramBytes\?/);
    const missing = pi5();
    delete missing.gpus;
    expect(errorOf(() => validateHardwareReport(missing)).message).toBe("hardware report: gpus is missing");
    const vendor = pi5();
    vendor.gpus[0].vendor = "qualcomm";
    expect(errorOf(() => validateHardwareReport(vendor)).message).toMatch(
      /^hardware report: gpus\.0\.vendor must be one of: "nvidia"/,
    );
  });

  it("accepts a report with only the documented fields: schemaVersion and platform default, extra keys warn", () => {
    const r = pi5();
    delete r.schemaVersion;
    delete r.platform;
    r.cpu.socket = "BCM2712";
    r.collector = { name: "inventory-tool", version: "3.1" };
    const warnings: string[] = [];
    const report = validateHardwareReport(r, "hardware report other.json", (w) => warnings.push(w));
    expect(report.schemaVersion).toBe(1);
    expect(report.platform).toBe("linux");
    expect(warnings).toEqual([
      "hardware report other.json: cpu.socket is not a key clawbox reads; kept",
      "hardware report other.json: collector is not a key clawbox reads; kept",
    ]);
    expect((report as unknown as { collector: unknown }).collector).toEqual({
      name: "inventory-tool",
      version: "3.1",
    });
  });

  it("rejects reports whose numbers contradict each other", () => {
    const r = pi5();
    r.memory.availableBytes = r.memory.totalBytes + 1;
    expect(errorOf(() => validateHardwareReport(r)).message).toBe(
      "hardware report: memory.availableBytes must not exceed memory.totalBytes",
    );
  });
});

describe("loadHardwareReport", () => {
  it("names the file for bad JSON and for a missing file", () => {
    const bad = join(tmp, "bad.json");
    writeFileSync(bad, "{ not json");
    expect(errorOf(() => loadHardwareReport(bad)).message).toMatch(
      /^hardware report .*bad\.json is not valid JSON/,
    );
    const err = errorOf(() => loadHardwareReport(join(tmp, "absent.json")));
    expect(err.message).toMatch(/cannot read hardware report .*absent\.json: ENOENT/);
    expect(err.fix).toMatch(/clawbox detect --json/);
  });
});
