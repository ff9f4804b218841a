import { describe, expect, it } from "vitest";
import type { DeviceProfile } from "../hardware/profile-types.js";
import type { GpuInfo, HardwareReport } from "../hardware/types.js";
import { findModel, loadCatalogue } from "./catalogue.js";
import {
  computeBufferBytes,
  estimateMemory,
  GIB,
  kvCacheBytes,
  memoryBudget,
  placeModel,
  RUNTIME_OVERHEAD_BYTES,
  vramPaddingBytes,
} from "./fit.js";
import type { CatalogueModel } from "./types.js";

const catalogue = loadCatalogue();
const model = (id: string) => findModel(catalogue, id) as CatalogueModel;
const file = (id: string, quant: string) => {
  const f = model(id).files.find((x) => x.quant === quant);
  if (!f) throw new Error(`${id} has no ${quant}`);
  return f;
};

function report(memGiB: number, gpus: GpuInfo[] = [], swapGiB = 0): HardwareReport {
  return {
    schemaVersion: 1,
    arch: "x64",
    platform: "linux",
    board: null,
    cpu: { model: "test", physicalCores: 4, logicalCores: 8, flags: [] },
    memory: { totalBytes: (memGiB + 1) * GIB, availableBytes: memGiB * GIB, swapBytes: swapGiB * GIB },
    gpus,
    diskFreeBytes: 500e9,
  };
}

function profile(gpu: DeviceProfile["runtime"]["gpu"], reserveGiB = 1): DeviceProfile {
  return {
    id: "test",
    name: "Test",
    description: "built in the test",
    priority: 0,
    match: {},
    memoryBandwidthGBs: 50,
    memoryBandwidthSource: "test",
    efficiency: 0.5,
    efficiencySource: "test",
    osReserveBytes: reserveGiB * GIB,
    runtime: {
      threads: "performance-cores",
      batchSize: 512,
      gpu,
      mmap: true,
      kvCacheType: "f16",
      contextSize: { default: 4096, min: 1024, max: 8192 },
      flashAttention: false,
    },
  };
}

const rtx = (vramGiB: number): GpuInfo => ({
  vendor: "nvidia",
  model: "NVIDIA GeForce RTX 4090",
  vramBytes: vramGiB * GIB,
  unifiedMemory: false,
});

describe("memory estimate (computed by hand)", () => {
  it("Qwen2.5 1.5B Q4_K_M at context 4096, f16 KV, batch 512", () => {
    // KV: 2 × 28 layers × 2 KV heads × 128 head dim × 4096 tokens × 2 bytes
    expect(kvCacheBytes(model("qwen2.5-1.5b-instruct"), 4096, "f16")).toBe(117_440_512);
    // compute: max(4·512·4096·(12+1) = 109,051,904 ; logits 4·512·151936 = 311,164,928)
    //          + activations 4·512·1536·12 = 37,748,736 + output 4·151936 = 607,744
    expect(computeBufferBytes(model("qwen2.5-1.5b-instruct"), 4096, { batchSize: 512 })).toBe(349_521_408);
    const m = estimateMemory(model("qwen2.5-1.5b-instruct"), file("qwen2.5-1.5b-instruct", "Q4_K_M"), {
      contextSize: 4096,
      batchSize: 512,
    });
    expect(m).toEqual({
      weightsBytes: 986_000_000,
      kvCacheBytes: 117_440_512,
      overheadBytes: 349_521_408 + RUNTIME_OVERHEAD_BYTES,
      totalBytes: 986_000_000 + 117_440_512 + 349_521_408 + RUNTIME_OVERHEAD_BYTES,
    });
  });

  it("scales the KV cache with its element type (q8_0 = 34/32 bytes, q4_0 = 18/32 bytes)", () => {
    const m = model("qwen2.5-1.5b-instruct");
    expect(kvCacheBytes(m, 4096, "q8_0")).toBe(117_440_512 * (34 / 32 / 2));
    expect(kvCacheBytes(m, 4096, "q4_0")).toBe(117_440_512 * (18 / 32 / 2));
  });

  it("Gemma 3 1B: the 22 sliding-window layers hold only window + ubatch tokens", () => {
    // 4 global layers × 4096 tokens + 22 SWA layers × pad256(512 + 512 + 1) = 1280 tokens; 2 × 1 × 256 × 2 B each
    expect(kvCacheBytes(model("gemma-3-1b-it"), 4096, "f16", 512)).toBe(1024 * (4 * 4096 + 22 * 1280));
    // below the window every layer holds the whole context
    expect(kvCacheBytes(model("gemma-3-1b-it"), 512, "f16", 512)).toBe(1024 * 26 * 512);
  });

  it("flash attention shrinks the compute buffer to the f16 mask", () => {
    const m = model("llama-3.2-1b-instruct");
    const fa = computeBufferBytes(m, 8192, { batchSize: 512, flashAttention: true });
    const noFa = computeBufferBytes(m, 8192, { batchSize: 512, flashAttention: false });
    // logits (4·512·128256) dominate with FA; the KQ scores (4·512·8192·33) dominate without
    expect(fa).toBe(4 * 512 * 128_256 + 4 * 512 * 2048 * 12 + 4 * 128_256);
    expect(noFa).toBe(4 * 512 * 8192 * 33 + 4 * 512 * 2048 * 12 + 4 * 128_256);
  });
});

describe("memory budget", () => {
  it("CPU: available RAM minus the OS reserve; swap never counts", () => {
    const a = memoryBudget(report(8), profile(false));
    const b = memoryBudget(report(8, [], 64), profile(false));
    expect(a.kind).toBe("cpu");
    expect(a.totalBytes).toBe(7 * GIB);
    expect(b.totalBytes).toBe(a.totalBytes);
  });

  it("unified memory (Jetson): one pool, the GPU's share is never added on top", () => {
    const jetson: GpuInfo = {
      vendor: "nvidia",
      model: "Orin (nvgpu)",
      vramBytes: 7 * GIB,
      unifiedMemory: true,
    };
    const b = memoryBudget(report(6, [jetson]), profile("cuda", 1));
    expect(b.kind).toBe("unified");
    expect(b.totalBytes).toBe(5 * GIB);
    expect(b.vramBytes).toBe(0);
    const placed = placeModel(model("qwen2.5-1.5b-instruct"), file("qwen2.5-1.5b-instruct", "Q4_K_M"), b, {
      contextSize: 4096,
    });
    expect(placed.gpuLayers).toBe(28);
    expect(placed.cpuBytes).toBe(placed.memory.totalBytes);
  });

  it("a GPU the profile does not use (gpu: false) or cannot offload to (Broadcom) adds nothing", () => {
    expect(memoryBudget(report(8, [rtx(24)]), profile(false)).kind).toBe("cpu");
    const vc: GpuInfo = { vendor: "broadcom", model: "VideoCore VII", vramBytes: null, unifiedMemory: true };
    expect(memoryBudget(report(8, [vc]), profile("auto")).kind).toBe("cpu");
  });

  it("discrete GPU: VRAM minus min(8 %, 1.6 GiB) padding plus the RAM budget", () => {
    const b = memoryBudget(report(60, [rtx(24)]), profile("cuda", 4));
    expect(vramPaddingBytes(24 * GIB)).toBeCloseTo(1.6 * GIB);
    expect(vramPaddingBytes(8 * GIB)).toBeCloseTo(0.64 * GIB);
    expect(b.kind).toBe("discrete");
    expect(b.vramBytes).toBeCloseTo(22.4 * GIB);
    expect(b.ramBytes).toBe(56 * GIB);
    expect(b.totalBytes).toBeCloseTo(78.4 * GIB);
  });
});

describe("placement and fit levels", () => {
  const q8 = () => file("qwen3-8b", "Q8_0");

  it("offloads every layer when the model fits VRAM", () => {
    const b = memoryBudget(report(60, [rtx(24)]), profile("cuda", 4));
    const p = placeModel(model("qwen3-8b"), q8(), b, { contextSize: 8192 });
    expect(p.gpuLayers).toBe(36);
    expect(p.gpuFraction).toBe(1);
    expect(p.memoryFit).toBe("fits");
    expect(p.gpuBytes * 1.2).toBeLessThanOrEqual(b.vramBytes);
  });

  it("splits by layer when VRAM is short, keeping the GPU part within VRAM", () => {
    const b = memoryBudget(report(30, [rtx(6)]), profile("cuda", 2));
    const p = placeModel(model("qwen3-8b"), q8(), b, { contextSize: 4096 });
    expect(p.gpuLayers).toBeGreaterThan(0);
    expect(p.gpuLayers).toBeLessThan(36);
    expect(p.gpuBytes * 1.2).toBeLessThanOrEqual(b.vramBytes);
    expect(p.cpuBytes).toBeGreaterThan(q8().fileBytes * (1 - p.gpuFraction));
    expect(p.memoryFit).toBe("fits");
  });

  it("rates fits / tight / too-large against the 1.2× headroom", () => {
    const m = model("qwen2.5-1.5b-instruct");
    const f = file("qwen2.5-1.5b-instruct", "Q4_K_M");
    const total = estimateMemory(m, f, { contextSize: 4096 }).totalBytes;
    const at = (ramBytes: number) =>
      placeModel(
        m,
        f,
        { kind: "cpu", ramBytes, vramBytes: 0, totalBytes: ramBytes, gpu: null, description: "" },
        {
          contextSize: 4096,
        },
      ).memoryFit;
    expect(at(total * 1.2)).toBe("fits");
    expect(at(total * 1.2 - 1)).toBe("tight");
    expect(at(total)).toBe("tight");
    expect(at(total - 1)).toBe("too-large");
  });
});
