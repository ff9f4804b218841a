/**
 * Token-generation speed from memory bandwidth. Generating one token reads every weight once, so
 * tokens/s ≈ bandwidth × efficiency ÷ weight bytes (the bandwidth bound of research notes §4; llmfit uses
 * the same model with efficiency 0.55). The efficiency factor comes from the device profile, which cites
 * the measurement it was derived from.
 */
import type { DeviceProfile } from "../hardware/profile-types.js";
import { gpuBandwidthFor } from "../hardware/profiles.js";
import type { MemoryBudget } from "./fit.js";

/** One memory the weights are read from. */
export interface BandwidthSource {
  /** Sustained bandwidth, GB/s (10^9 bytes/s). */
  GBs: number;
  /** Fraction of the bandwidth bound token generation reaches. */
  efficiency: number;
  /** Where the numbers come from (the profile's sources). */
  source: string;
}

/** Where a model's weights are read from on this device. */
export interface DeviceSpeed {
  /** System RAM (CPU layers; on unified memory also the GPU's layers). */
  cpu: BandwidthSource;
  /** Dedicated VRAM of a discrete GPU; null on CPU-only and unified-memory devices. */
  gpu: BandwidthSource | null;
}

/**
 * The bandwidth sources of a device: the profile's `memoryBandwidthGBs` × `efficiency` for RAM (unified
 * memory included: Jetson and iGPUs read the same RAM), and for a discrete GPU (budget.kind "discrete") the
 * profile's `gpuMemoryBandwidth` entry whose `match` regex fits the GPU model (else its default; gpuBandwidthFor).
 * A discrete budget under a profile without `gpuMemoryBandwidth` falls back to RAM numbers (pessimistic).
 */
export function deviceSpeed(profile: DeviceProfile, budget: MemoryBudget): DeviceSpeed {
  const cpu: BandwidthSource = {
    GBs: profile.memoryBandwidthGBs,
    efficiency: profile.efficiency,
    source: `${profile.memoryBandwidthSource}; efficiency: ${profile.efficiencySource}`,
  };
  const vram = budget.kind === "discrete" && budget.gpu ? gpuBandwidthFor(profile, budget.gpu) : null;
  if (!vram) return { cpu, gpu: null };
  return {
    cpu,
    gpu: {
      GBs: vram.GBs,
      efficiency: vram.efficiency,
      source: `${vram.source}; efficiency: ${vram.efficiencySource}`,
    },
  };
}

/**
 * Estimated generation speed, tokens/s. Time per token = Σ over the memories holding weights of
 * bytes there ÷ (GB/s × 10^9 × efficiency): with a partial GPU offload the slow part dominates.
 * `gpuFraction` is the share of the weights in VRAM (0 when `speed.gpu` is null — unified memory reads
 * everything at the RAM numbers). Returns Infinity for 0 weight bytes.
 */
export function estimateTokensPerSecond(
  weightsBytes: number,
  gpuFraction: number,
  speed: DeviceSpeed,
): number {
  const f = speed.gpu ? Math.min(1, Math.max(0, gpuFraction)) : 0;
  const secondsCpu = ((1 - f) * weightsBytes) / (speed.cpu.GBs * 1e9 * speed.cpu.efficiency);
  const secondsGpu = speed.gpu ? (f * weightsBytes) / (speed.gpu.GBs * 1e9 * speed.gpu.efficiency) : 0;
  const seconds = secondsCpu + secondsGpu;
  return seconds > 0 ? 1 / seconds : Number.POSITIVE_INFINITY;
}
