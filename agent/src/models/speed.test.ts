import { describe, expect, it } from "vitest";
import type { DeviceProfile } from "../hardware/profile-types.js";
import type { MemoryBudget } from "./fit.js";
import { deviceSpeed, estimateTokensPerSecond } from "./speed.js";

const cpuOnly = { cpu: { GBs: 17.1, efficiency: 0.54, source: "t" }, gpu: null };

describe("estimateTokensPerSecond", () => {
  it("is bandwidth × efficiency ÷ weight bytes on the CPU", () => {
    // Pi 5: 17.1 GB/s × 0.54 ÷ 2.02 GB (Llama 3.2 3B Q4_K_M) ≈ 4.57 tokens/s (measured 4.61, research §4)
    expect(estimateTokensPerSecond(2.02e9, 0, cpuOnly)).toBeCloseTo((17.1e9 * 0.54) / 2.02e9, 6);
    expect(estimateTokensPerSecond(2.02e9, 0, cpuOnly)).toBeCloseTo(4.57, 2);
  });

  it("combines a partial offload as time per token, so the slow part dominates", () => {
    const speed = {
      cpu: { GBs: 50, efficiency: 0.5, source: "" },
      gpu: { GBs: 1000, efficiency: 0.5, source: "" },
    };
    const all = estimateTokensPerSecond(8e9, 1, speed);
    const half = estimateTokensPerSecond(8e9, 0.5, speed);
    const none = estimateTokensPerSecond(8e9, 0, speed);
    expect(all).toBeCloseTo(62.5, 6);
    expect(none).toBeCloseTo(3.125, 6);
    // 4 GB at 500 GB/s effective + 4 GB at 25 GB/s effective = 0.008 s + 0.16 s
    expect(half).toBeCloseTo(1 / (4e9 / 500e9 + 4e9 / 25e9), 6);
    expect(half).toBeLessThan(2 * none);
  });

  it("ignores the GPU fraction when there is no discrete GPU (unified memory reads RAM)", () => {
    expect(estimateTokensPerSecond(1e9, 1, cpuOnly)).toBe(estimateTokensPerSecond(1e9, 0, cpuOnly));
  });
});

describe("deviceSpeed", () => {
  const profile = {
    memoryBandwidthGBs: 51.2,
    memoryBandwidthSource: "DDR4-3200 dual channel",
    efficiency: 0.45,
    efficiencySource: "measured",
    gpuMemoryBandwidth: {
      defaultGBs: 300,
      defaultSource: "typical",
      efficiency: 0.7,
      efficiencySource: "measured",
      models: [
        { match: "RTX 4090", GBs: 1008, source: "datasheet" },
        { match: "RTX 3060", GBs: 360, source: "datasheet" },
      ],
    },
  } as unknown as DeviceProfile;
  const budget = (kind: MemoryBudget["kind"], gpu: string | null): MemoryBudget => ({
    kind,
    gpu:
      gpu === null
        ? null
        : { vendor: "nvidia", model: gpu, vramBytes: 8e9, unifiedMemory: kind === "unified" },
    ramBytes: 1,
    vramBytes: 1,
    totalBytes: 2,
    description: "",
  });

  it("looks the discrete GPU's VRAM bandwidth up by model name", () => {
    expect(deviceSpeed(profile, budget("discrete", "NVIDIA GeForce RTX 4090")).gpu?.GBs).toBe(1008);
    expect(deviceSpeed(profile, budget("discrete", "NVIDIA GeForce RTX 3060")).gpu?.GBs).toBe(360);
    expect(deviceSpeed(profile, budget("discrete", "NVIDIA A2")).gpu?.GBs).toBe(300);
  });

  it("uses the RAM numbers on CPU and unified-memory devices", () => {
    expect(deviceSpeed(profile, budget("unified", "Orin")).gpu).toBeNull();
    expect(deviceSpeed(profile, budget("cpu", null)).cpu).toMatchObject({ GBs: 51.2, efficiency: 0.45 });
  });
});
