import { existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import type { InferenceConfig } from "../config/config-schema.js";
import { looksLikePath } from "../config/load-config.js";
import { UserError } from "../errors.js";
import type { DeviceProfile, RuntimeTuning } from "../hardware/profile-types.js";
import { loadProfiles, matchProfile, resolveThreads } from "../hardware/profiles.js";
import type { HardwareReport } from "../hardware/types.js";
import type { ModelLoadSpec } from "../inference/types.js";

/** How the model runs on this device: every number decided once, flags/config over the device profile. */
export interface RuntimeSettings {
  /** Matched device profile id, or null when none matched (generic defaults). */
  profile: string | null;
  /** Why that profile (or why none). */
  profileWhy: string;
  threads: number;
  /** Context size in tokens before the model's own cap (the engine caps at the trained context). */
  contextSize: number;
  gpuLayers: number;
  gpu: RuntimeTuning["gpu"];
  batchSize: number;
  mmap: boolean;
  flashAttention: boolean;
  kvCacheType: RuntimeTuning["kvCacheType"];
}

/**
 * Used when no profile matches (an architecture without profiles): CPU only, the physical cores,
 * llama.cpp's default batch of 512 tokens and a 2048-token context (small enough for 2 GB devices:
 * KV cache of a 1B model at f16 ≈ 64 MiB, see research/llm-fit.md).
 */
const GENERIC_RUNTIME: RuntimeTuning = {
  threads: "performance-cores",
  batchSize: 512,
  gpu: false,
  mmap: true,
  kvCacheType: "f16",
  contextSize: { default: 2048, min: 512, max: 8192 },
  flashAttention: false,
};

/**
 * llama.cpp's "offload every layer" value (`-ngl 999`): node-llama-cpp clamps it to the model's layer
 * count. Used on GPU profiles when neither the config nor a recommendation gives a layer count.
 */
export const ALL_LAYERS = 999;

/**
 * Decides the runtime settings from the HardwareReport, the profiles and the `inference:` config
 * (config/flags win over the profile). Never throws for an unknown device: it falls back to
 * GENERIC_RUNTIME and says so in `profileWhy`.
 */
export function decideRuntime(
  report: HardwareReport,
  profiles: DeviceProfile[],
  config: Pick<InferenceConfig, "threads" | "contextSize" | "gpuLayers">,
): RuntimeSettings {
  let profile: DeviceProfile | null = null;
  let why: string;
  try {
    const match = matchProfile(report, profiles);
    profile = match.profile;
    why = match.why;
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    why = `${err.message}; using generic CPU settings`;
  }
  const tuning = profile?.runtime ?? GENERIC_RUNTIME;
  const threads =
    config.threads ??
    (profile
      ? resolveThreads(profile, report)
      : Math.max(1, report.cpu.performanceCores ?? report.cpu.physicalCores));
  return {
    profile: profile?.id ?? null,
    profileWhy: why,
    threads,
    contextSize: config.contextSize ?? tuning.contextSize.default,
    gpuLayers: config.gpuLayers ?? (tuning.gpu === false ? 0 : ALL_LAYERS),
    gpu: tuning.gpu,
    batchSize: tuning.batchSize,
    mmap: tuning.mmap,
    flashAttention: tuning.flashAttention,
    kvCacheType: tuning.kvCacheType,
  };
}

/** Finds the GGUF file of a catalogue id in the model store; throws UserError when it is not there. */
export type StoreResolver = (id: string) => Promise<string> | string;

/**
 * Turns a model reference into a load spec with `runtime`'s numbers. A path (contains "/" or ends in
 * .gguf) must be an existing file (id = file name without .gguf); anything else is a catalogue id looked
 * up with `resolveStoreId`. Throws UserError (404) naming the path and how to get a model.
 */
export async function modelSpecFor(
  ref: string,
  runtime: RuntimeSettings,
  resolveStoreId: StoreResolver,
): Promise<ModelLoadSpec> {
  let path: string;
  let id: string;
  if (looksLikePath(ref)) {
    path = resolve(ref);
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new UserError(`model file ${path} does not exist`, {
        status: 404,
        code: "E_MODEL_NOT_FOUND",
        fix: "check the path, or use a model from the store (`clawbox models list`, `clawbox models pull <id>`)",
      });
    }
    id = basename(path).replace(/\.gguf$/i, "");
  } else {
    path = await resolveStoreId(ref);
    id = ref;
  }
  return {
    path,
    id,
    contextSize: runtime.contextSize,
    threads: runtime.threads,
    gpuLayers: runtime.gpuLayers,
    batchSize: runtime.batchSize,
    gpu: runtime.gpu,
    mmap: runtime.mmap,
    flashAttention: runtime.flashAttention,
    kvCacheType: runtime.kvCacheType,
  };
}

/** Loads the device profiles, logging (not throwing) when the folder is unreadable: start must not fail on it. */
export function loadProfilesOrNone(log: FastifyBaseLogger): DeviceProfile[] {
  try {
    return loadProfiles();
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, "device profiles not loaded");
    return [];
  }
}
