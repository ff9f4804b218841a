import { existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import { readGgufFileInfo } from "node-llama-cpp";
import type { InferenceConfig } from "../config/config-schema.js";
import { looksLikePath } from "../config/load-config.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { DeviceProfile, RuntimeTuning } from "../hardware/profile-types.js";
import { loadProfiles, matchProfile, resolveThreads, threadsForModelBytes } from "../hardware/profiles.js";
import type { HardwareReport } from "../hardware/types.js";
import type { ModelLoadSpec } from "../inference/types.js";
import { memoryBudget } from "../models/fit.js";
import { quickEstimateForFile } from "../models/gguf-refine.js";
import { parallelSequencesFor } from "../models/parallel-fit.js";
import type { MemoryEstimate } from "../models/types.js";

/** How the model runs on this device: every number decided once, flags/config over the device profile. */
export interface RuntimeSettings {
  /** Matched device profile id, or null when none matched (generic defaults). */
  profile: string | null;
  /** Why that profile (or why none). */
  profileWhy: string;
  /** CPU threads: used as is when `threadsFixed`, else the most worth using (performance cores). */
  threads: number;
  /**
   * True when `threads` came from the config/flags or is a fixed number in the device profile: then it is
   * used as is. False ("performance-cores"): `modelSpecFor` lowers it for small models (threadsForModelBytes).
   */
  threadsFixed: boolean;
  /** Context size in tokens (profile default unless configured; capped per model by `modelSpecFor`). */
  contextSize: number;
  /** True when the context size came from the config/flags: then it is used as is, never capped. */
  contextSizeConfigured: boolean;
  gpuLayers: number;
  gpu: RuntimeTuning["gpu"];
  batchSize: number;
  mmap: boolean;
  flashAttention: boolean;
  kvCacheType: RuntimeTuning["kvCacheType"];
  /** Conversations decoded together: config inference.parallel, else the profile's parallelSequences, else 1. */
  parallel: number;
  /** Bytes this device can give a model (fit.ts memoryBudget), null without a profile; bounds `parallel`. */
  modelMemoryBytes: number | null;
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
  config: Pick<InferenceConfig, "threads" | "contextSize" | "gpuLayers" | "parallel">,
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
    threadsFixed: config.threads !== undefined || tuning.threads !== "performance-cores",
    contextSize: config.contextSize ?? tuning.contextSize.default,
    contextSizeConfigured: config.contextSize !== undefined,
    gpuLayers: config.gpuLayers ?? (tuning.gpu === false ? 0 : ALL_LAYERS),
    gpu: tuning.gpu,
    batchSize: tuning.batchSize,
    mmap: tuning.mmap,
    flashAttention: tuning.flashAttention,
    kvCacheType: tuning.kvCacheType,
    parallel: config.parallel ?? tuning.parallelSequences ?? 1,
    modelMemoryBytes: profile ? memoryBudget(report, profile).totalBytes : null,
  };
}

/** Finds a model in the store (catalogue id, `id:QUANT` or a file name there); throws UserError when absent. */
export type StoreResolver = (ref: string) => Promise<string> | string;

/** Sizes a GGUF's weights, compute buffer and one sequence's KV cache (models/gguf-refine.ts quickEstimateForFile). */
export type FileEstimator = (
  path: string,
  opts: {
    contextSize: number;
    gpuLayers: number;
    batchSize: number;
    kvCacheType: RuntimeTuning["kvCacheType"];
  },
) => Promise<Pick<MemoryEstimate, "weightsBytes" | "overheadBytes" | "kvCacheBytes">>;

/** Reads a GGUF's trained context length (header only); null when the header does not say. */
export type TrainedContextReader = (path: string) => Promise<number | null>;

/**
 * Turns a model reference into a load spec with `runtime`'s numbers.
 * - A path with a folder ("./m.gguf", "/models/m.gguf") must be an existing file.
 * - A bare file name ("m.gguf") is taken from the current folder if it is there, else from the store.
 * - Anything else is a catalogue id (or `id:QUANT`) looked up in the store.
 * The id is the catalogue id, or the file name without .gguf. Unless the context size was configured,
 * it is capped at the model's trained context (`readTrainedContext`): a longer context only costs KV
 * cache memory, the model's answers degrade past what it was trained on. Unless `runtime.threadsFixed`, the
 * threads are lowered to what the model's file size pays for (threadsForModelBytes on statSync(path).size;
 * `runtime.threads` when the file cannot be read: the engine then reports the file's problem itself).
 * Throws UserError (404) naming the path or id and how to get a model.
 */
export async function modelSpecFor(
  ref: string,
  runtime: RuntimeSettings,
  resolveStoreRef: StoreResolver,
  readTrainedContext: TrainedContextReader = trainedContextOf,
  estimate: FileEstimator = quickEstimateForFile,
): Promise<ModelLoadSpec> {
  let path: string;
  let id: string;
  const hasFolder = ref.includes("/") || ref.includes("\\");
  if (looksLikePath(ref)) {
    path = resolve(ref);
    if (!isFile(path)) {
      if (hasFolder) {
        throw new UserError(`model file ${path} does not exist`, {
          status: 404,
          code: ErrorCode.MODEL_NOT_FOUND,
          fix: "check the path, or use a model from the store (`clawbox models list`, `clawbox models pull <id>`)",
        });
      }
      path = await resolveStoreRef(ref);
    }
    id = basename(path).replace(/\.gguf$/i, "");
  } else {
    path = await resolveStoreRef(ref);
    id = ref;
  }
  let contextSize = runtime.contextSize;
  if (!runtime.contextSizeConfigured) {
    const trained = await readTrainedContext(path);
    if (trained && trained > 0) contextSize = Math.min(contextSize, trained);
  }
  return {
    path,
    id,
    contextSize,
    threads: runtime.threadsFixed ? runtime.threads : threadsForModelBytes(runtime.threads, fileBytes(path)),
    gpuLayers: runtime.gpuLayers,
    batchSize: runtime.batchSize,
    gpu: runtime.gpu,
    mmap: runtime.mmap,
    flashAttention: runtime.flashAttention,
    kvCacheType: runtime.kvCacheType,
    parallel: await parallelFor(path, contextSize, runtime, estimate),
  };
}

/**
 * runtime.parallel lowered to the KV caches the device's memory holds for this file (parallelSequencesFor);
 * 1 when the file cannot be sized (the engine then reports the file's problem itself).
 */
async function parallelFor(
  path: string,
  contextSize: number,
  runtime: RuntimeSettings,
  estimate: FileEstimator,
): Promise<number> {
  if (runtime.parallel <= 1) return 1;
  try {
    const e = await estimate(path, {
      contextSize,
      gpuLayers: runtime.gpuLayers,
      batchSize: runtime.batchSize,
      kvCacheType: runtime.kvCacheType,
    });
    return parallelSequencesFor({
      wanted: runtime.parallel,
      memoryBytes: runtime.modelMemoryBytes,
      weightsBytes: e.weightsBytes,
      overheadBytes: e.overheadBytes,
      kvBytesPerSequence: e.kvCacheBytes,
    }).parallel;
  } catch {
    return 1;
  }
}

/**
 * `<arch>.context_length` from a GGUF header via node-llama-cpp's readGgufFileInfo (reads metadata only,
 * not the weights). Null when the header cannot be read: the engine then reports the file's problem itself.
 */
export async function trainedContextOf(path: string): Promise<number | null> {
  try {
    const info = await readGgufFileInfo(path, { readTensorInfo: false, logWarnings: false });
    const n = (info.architectureMetadata as { context_length?: number } | undefined)?.context_length;
    return typeof n === "number" ? n : null;
  } catch {
    return null;
  }
}

/** Size of the file at `path` in bytes, or undefined when it cannot be read. */
function fileBytes(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
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
