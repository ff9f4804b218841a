import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProfiles, matchProfile, resolveThreads } from "../hardware/profiles.js";
import { loadHardwareReport } from "../hardware/report-schema.js";
import type { GpuInfo, HardwareReport } from "../hardware/types.js";
import { REPO_ROOT } from "../paths.js";
import { findModel, loadCatalogue } from "./catalogue.js";
import { GIB } from "./fit.js";
import { DISK_RESERVE_BYTES, recommend } from "./select.js";
import type { CatalogueModel } from "./types.js";

const catalogue = loadCatalogue();
const profiles = loadProfiles();
const profile = (id: string) => {
  const p = profiles.find((x) => x.id === id);
  if (!p) throw new Error(`no profile ${id}`);
  return p;
};
const model = (id: string) => findModel(catalogue, id) as CatalogueModel;

/** A report with `availGiB` of MemAvailable; cores = [performance, logical]. */
function device(
  availGiB: number,
  opts: { gpus?: GpuInfo[]; diskFree?: number; cores?: [number, number]; arch?: string } = {},
): HardwareReport {
  const [perf, logical] = opts.cores ?? [4, 4];
  return {
    schemaVersion: 1,
    arch: opts.arch ?? "arm64",
    platform: "linux",
    board: null,
    cpu: { model: "test", physicalCores: logical, logicalCores: logical, performanceCores: perf, flags: [] },
    memory: { totalBytes: (availGiB + 0.6) * GIB, availableBytes: availGiB * GIB, swapBytes: 2 * GIB },
    gpus: opts.gpus ?? [],
    diskFreeBytes: opts.diskFree ?? 50e9,
  };
}

const rtx4090: GpuInfo = {
  vendor: "nvidia",
  model: "NVIDIA GeForce RTX 4090",
  vramBytes: 24 * GIB,
  unifiedMemory: false,
};

describe("recommend", () => {
  it("Raspberry Pi 5 8 GB: a ~1.5–3B model at Q4_K_M that reaches 5 tokens/s", () => {
    const rec = recommend(device(7.3), profile("raspberry-pi-5"), catalogue);
    const c = rec.choice;
    expect(c).not.toBeNull();
    if (!c) return;
    expect(c.parameters).toBeGreaterThanOrEqual(1.4e9);
    expect(c.parameters).toBeLessThanOrEqual(3.3e9);
    expect(c.quant).toBe("Q4_K_M");
    expect(c.estimatedTokensPerSecond).toBeGreaterThanOrEqual(5);
    expect(c.memory.totalBytes * 1.2).toBeLessThanOrEqual(c.budgetBytes);
    expect(c.threads).toBe(4);
    expect(c.gpuLayers).toBe(0);
    expect(rec.reason).toContain(`${(c.memory.totalBytes / GIB).toFixed(1)} GiB`);
    expect(rec.reason).toMatch(/tokens\/s/);
  });

  it("a lower speed floor lets a bigger model through", () => {
    const fast = recommend(device(7.3), profile("raspberry-pi-5"), catalogue);
    const slow = recommend(device(7.3), profile("raspberry-pi-5"), catalogue, { minTokensPerSecond: 2 });
    expect(slow.choice?.parameters ?? 0).toBeGreaterThan(fast.choice?.parameters ?? 0);
    expect(slow.choice?.estimatedTokensPerSecond ?? 0).toBeLessThan(5);
    expect(slow.choice?.estimatedTokensPerSecond ?? 0).toBeGreaterThanOrEqual(2);
    // and the faster choice explains that the bigger one is too slow
    expect(fast.reason).toMatch(/below the 5 tokens\/s floor/);
  });

  it("Raspberry Pi 4 2 GB: a sub-1B model", () => {
    const rec = recommend(device(1.5), profile("raspberry-pi-4"), catalogue);
    expect(rec.choice?.parameters ?? Infinity).toBeLessThan(1e9);
  });

  it("RTX 4090: an 8B at Q8_0 or Q6_K with every layer on the GPU", () => {
    const rec = recommend(
      device(58, { gpus: [rtx4090], arch: "x64", cores: [16, 32] }),
      profile("x86-nvidia"),
      catalogue,
    );
    const c = rec.choice;
    expect(c?.parameters).toBeGreaterThan(7e9);
    expect(["Q8_0", "Q6_K"]).toContain(c?.quant);
    expect(c?.gpuLayers).toBe(model(c?.model ?? "").architecture.layers);
    expect(c?.threads).toBe(16);
  });

  it("200 MB of free disk: no choice, and the reason names the disk", () => {
    const rec = recommend(device(7.3, { diskFree: 200e6 }), profile("raspberry-pi-5"), catalogue);
    expect(rec.choice).toBeNull();
    expect(rec.reason).toMatch(/disk/);
    expect(rec.reason).toMatch(/remote backend/);
    expect(rec.alternatives.every((a) => a.fit === "no-disk")).toBe(true);
  });

  it("a file already in the store needs no disk", () => {
    const file = model("qwen2.5-0.5b-instruct").files.find((f) => f.quant === "Q8_0");
    const rec = recommend(
      device(7.3, { diskFree: DISK_RESERVE_BYTES }),
      profile("raspberry-pi-5"),
      catalogue,
      {
        installedFiles: [file?.fileName ?? ""],
      },
    );
    expect(rec.choice?.model).toBe("qwen2.5-0.5b-instruct");
  });

  it("too little memory: no choice, the reason gives the numbers and what to do", () => {
    const rec = recommend(device(0.8), profile("raspberry-pi-4"), catalogue);
    expect(rec.choice).toBeNull();
    expect(rec.reason).toMatch(
      /SmolLM2 135M Instruct Q2_K, needs 0\.\d GiB at context 512, but the budget is 0\.1 GiB/,
    );
    expect(rec.reason).toMatch(/remote backend/);
  });

  it("too little memory with remote backends known: offers them instead of a dead end, ready ones first", () => {
    const remoteBackends = [
      { name: "lan-box", url: "https://lan-box.local/v1", source: "mdns" as const, ready: false },
      { name: "big-box", url: "http://big-box.local:8080/v1", source: "configured" as const, ready: true },
    ];
    const rec = recommend(device(0.8), profile("raspberry-pi-4"), catalogue, { remoteBackends });
    expect(rec.choice).toBeNull();
    expect(rec.remote).toEqual(remoteBackends);
    const keys = rec.reasonParts?.map((p) => p.key) ?? [];
    expect(keys.slice(-2)).toEqual(["model.reason.none.remote", "model.reason.none.remoteSetup"]);
    expect(rec.reason).toContain(
      "The remote backend big-box (http://big-box.local:8080/v1) can answer instead: run `clawbox models use remote:big-box`.",
    );
    expect(rec.reason).toContain(
      "lan-box (https://lan-box.local/v1) can answer instead: add it under backends:",
    );
    // a device where a model fits gets no offer
    expect(
      recommend(device(8), profile("raspberry-pi-5"), catalogue, { remoteBackends }).remote,
    ).toBeUndefined();
  });

  it("preferLanguages zh boosts a model that lists Chinese", () => {
    const two = [model("llama-3.2-1b-instruct"), model("qwen2.5-0.5b-instruct")];
    expect(recommend(device(7.3), profile("raspberry-pi-5"), two).choice?.model).toBe(
      "llama-3.2-1b-instruct",
    );
    const zh = recommend(device(7.3), profile("raspberry-pi-5"), two, { preferLanguages: ["zh"] });
    expect(zh.choice?.model).toBe("qwen2.5-0.5b-instruct");
    expect(zh.reason).toContain("covers zh");
  });

  it("reduces the context size (not below the profile min) when that lets a better model fit", () => {
    const one = [model("qwen3-4b")];
    const p = profile("raspberry-pi-5");
    // find a budget where context 4096 does not fit with headroom but a smaller one does
    const full = recommend(device(7.3), p, one, { minTokensPerSecond: 1 }).choice;
    expect(full?.contextSize).toBe(4096);
    const kvAtFull = full?.memory.kvCacheBytes ?? 0;
    const avail = ((full?.memory.totalBytes ?? 0) * 1.2 - kvAtFull / 2 + p.osReserveBytes) / GIB;
    const reduced = recommend(device(avail), p, one, { minTokensPerSecond: 1 });
    expect(reduced.choice?.model).toBe("qwen3-4b");
    expect(reduced.choice?.quant).toBe(full?.quant);
    expect(reduced.choice?.contextSize).toBeLessThan(4096);
    expect(reduced.choice?.contextSize).toBeGreaterThanOrEqual(p.runtime.contextSize.min);
    expect(reduced.reason).toContain("Context reduced from 4096");
    // an explicit context size is kept as given
    const fixed = recommend(device(7.3), p, one, { minTokensPerSecond: 1, contextSize: 2048 });
    expect(fixed.choice?.contextSize).toBe(2048);
  });

  it("uses the performance cores of a big.LITTLE CPU as threads", () => {
    const rec = recommend(device(7.3, { cores: [4, 8] }), profile("rk3588"), catalogue);
    expect(rec.choice?.threads).toBe(4);
  });

  it("serialises to the recommendation's JSON contract", () => {
    const rec = JSON.parse(JSON.stringify(recommend(device(7.3), profile("raspberry-pi-5"), catalogue)));
    // the contract's four keys first; reasonParts (the reason as message keys, for the web app) is an addition
    expect(Object.keys(rec)).toEqual(["profile", "reason", "choice", "alternatives", "reasonParts"]);
    expect(rec.profile).toBe("raspberry-pi-5");
    expect(Object.keys(rec.choice)).toEqual([
      "model",
      "parameters",
      "quant",
      "fileBytes",
      "uri",
      "contextSize",
      "gpuLayers",
      "threads",
      "memory",
      "budgetBytes",
      "estimatedTokensPerSecond",
    ]);
    expect(Object.keys(rec.choice.memory)).toEqual([
      "weightsBytes",
      "kvCacheBytes",
      "overheadBytes",
      "totalBytes",
    ]);
    expect(rec.choice.uri).toMatch(/^hf:/);
    expect(rec.alternatives).toHaveLength(catalogue.length - 1);
    for (const a of rec.alternatives) {
      expect(a).toMatchObject({
        model: expect.any(String),
        quant: expect.any(String),
        memory: { totalBytes: expect.any(Number) },
      });
      expect(["fits", "tight", "too-large", "too-slow", "no-disk"]).toContain(a.fit);
      expect(a.note.length).toBeGreaterThan(10);
    }
  });
});

describe("recommend on the saved HardwareReports of real devices", () => {
  const dir = join(REPO_ROOT, "test", "fixtures", "hardware");
  const fixture = (name: string) => loadHardwareReport(join(dir, `${name}.json`));
  const run = (name: string, mutate?: (r: HardwareReport) => void) => {
    const report = fixture(name);
    mutate?.(report);
    const { profile: p } = matchProfile(report, profiles);
    return { report, profile: p, rec: recommend(report, p, catalogue) };
  };

  const names = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.replace(/\.json$/, ""));

  it.each(names)(
    "%s: a choice that fits with headroom, reaches 5 tokens/s and uses the performance cores",
    (name) => {
      const { report, profile: p, rec } = run(name);
      const c = rec.choice;
      expect(c, rec.reason).not.toBeNull();
      if (!c) return;
      expect(rec.profile).toBe(p.id);
      expect(c.memory.totalBytes * 1.2).toBeLessThanOrEqual(c.budgetBytes);
      expect(c.estimatedTokensPerSecond).toBeGreaterThanOrEqual(5);
      expect(c.threads).toBe(resolveThreads(p, report));
      expect(c.threads).toBeLessThanOrEqual(report.cpu.physicalCores);
      expect(c.fileBytes).toBeLessThan(report.diskFreeBytes);
      expect(["Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"]).toContain(c.quant);
    },
  );

  it("Pi 4 2 GB → a sub-1B model", () => {
    expect(run("raspberry-pi-4-2gb").rec.choice?.parameters).toBeLessThan(1e9);
  });

  it("Pi 5 8 GB → a ~1.5–3B model at Q4_K_M", () => {
    const c = run("raspberry-pi-5-8gb").rec.choice;
    expect(c?.parameters).toBeGreaterThanOrEqual(1.4e9);
    expect(c?.parameters).toBeLessThanOrEqual(3.3e9);
    expect(c?.quant).toBe("Q4_K_M");
  });

  it("RTX 4090 → an 8B at Q8_0 or Q6_K, fully offloaded", () => {
    const c = run("rtx-4090-desktop").rec.choice;
    expect(c?.parameters).toBeGreaterThan(7e9);
    expect(["Q8_0", "Q6_K"]).toContain(c?.quant);
    expect(c?.gpuLayers).toBe(model(c?.model ?? "").architecture.layers);
  });

  it("RTX 3060 12 GB → a file that fits VRAM whole rather than a larger split one", () => {
    const c = run("rtx-3060-12gb-desktop").rec.choice;
    expect(c?.gpuLayers).toBe(model(c?.model ?? "").architecture.layers);
  });

  it("Jetson Orin Nano → unified memory: all layers on the GPU, budget = RAM − reserve, VRAM not added", () => {
    const { report, profile: p, rec } = run("jetson-orin-nano-8gb");
    const c = rec.choice;
    expect(c?.gpuLayers).toBe(model(c?.model ?? "").architecture.layers);
    expect(c?.budgetBytes).toBe(report.memory.availableBytes - p.osReserveBytes);
  });

  it("a device with 200 MB of free disk → no choice, and the reason is the disk", () => {
    const { rec } = run("raspberry-pi-5-8gb", (r) => {
      r.diskFreeBytes = 200e6;
    });
    expect(rec.choice).toBeNull();
    expect(rec.reason).toMatch(/free disk|disk space/);
  });
});
