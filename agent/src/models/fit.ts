/**
 * Memory fit: how many bytes a model needs at a context size, how many bytes the device can give it, and
 * whether it fits. Pure functions; every constant says where it comes from.
 */

import type { DeviceProfile } from "../hardware/profile-types.js";
import { isUsableGpu } from "../hardware/profiles.js";
import type { GpuInfo, HardwareReport } from "../hardware/types.js";
import type { CatalogueFile, CatalogueModel, Fit, MemoryEstimate } from "./types.js";

/** 2^30, for GiB in messages. */
export const GIB = 1024 ** 3;

/**
 * Bytes per KV-cache element by llama.cpp cache type: f16 = 2; q8_0 = 34-byte blocks of 32 values
 * (32 int8 + f16 scale) = 1.0625; q4_0 = 18-byte blocks of 32 (16 bytes of nibbles + f16 scale) = 0.5625
 * (ggml block_q8_0 / block_q4_0 in ggml-common.h).
 */
export const KV_BYTES_PER_ELEMENT = { f16: 2, q8_0: 34 / 32, q4_0: 18 / 32 } as const;
export type KvCacheType = keyof typeof KV_BYTES_PER_ELEMENT;

/**
 * Process overhead of llama.cpp + node-llama-cpp beyond weights, KV cache and compute buffer: backend,
 * thread pool, tensor metadata, the binding's own heap. Measured here (node-llama-cpp 3.22.1 CPU prebuilt,
 * x86-64): RSS after getLlama + loadModel + createContext(512) + one evaluation minus RSS before = 36.7 MiB,
 * of which 1.1 MiB model, 0.3 MiB KV cache and 9.8 MiB compute buffer → ~25.5 MiB; rounded up to 32 MiB
 * for larger models' tensor metadata. The agent's own Node heap is in the profile's `osReserveBytes`.
 */
export const RUNTIME_OVERHEAD_BYTES = 32 * 1024 ** 2;

/**
 * VRAM node-llama-cpp keeps free on a discrete GPU: min(8 % of VRAM, 1.6 GiB)
 * (node-llama-cpp `getLlama` default `vramPadding`; research notes §1).
 */
export function vramPaddingBytes(vramBytes: number): number {
  return Math.min(vramBytes * 0.08, 1.6 * GIB);
}

/**
 * Default headroom for the "fits" level: total × 1.2 ≤ budget. 1.2× is llmfit's "Good" threshold
 * (research notes §2); the spare 20 % absorbs estimate error, page cache and prompt spikes.
 */
export const DEFAULT_HEADROOM = 0.2;

/** Architecture numbers with fallbacks for catalogue entries that lack the optional compute-buffer fields. */
function arch(model: CatalogueModel) {
  const a = model.architecture;
  const attentionHeads = a.attentionHeads ?? a.kvHeads * 8; // GQA groups of ≤ 8 are the common worst case
  return {
    ...a,
    attentionHeads,
    embeddingLength: a.embeddingLength ?? attentionHeads * a.headDim,
    vocabSize: a.vocabSize ?? 262_144, // the largest vocabulary in the catalogue (Gemma 3): conservative
  };
}

/**
 * KV-cache bytes for one sequence at `contextSize` tokens:
 * 2 (K and V) × layers × kvHeads × headDim × tokens × bytes per element (KV_BYTES_PER_ELEMENT).
 * Sliding-window layers (Gemma 3: `slidingWindowFraction` of the layers, rounded up) hold only
 * min(contextSize, window + ubatch rounded up to 256) tokens, as llama.cpp's iSWA cache does
 * (node-llama-cpp GgufInsights `swaKvSize` = ggmlPad(window + batch + 1, 256)).
 */
export function kvCacheBytes(
  model: CatalogueModel,
  contextSize: number,
  kvCacheType: KvCacheType = "f16",
  batchSize = 512,
): number {
  const a = model.architecture;
  const perTokenPerLayer = 2 * a.kvHeads * a.headDim * KV_BYTES_PER_ELEMENT[kvCacheType];
  const window = a.slidingWindow ?? 0;
  const swaLayers = window > 0 ? Math.ceil(a.layers * (a.slidingWindowFraction ?? 0) - 1e-9) : 0;
  const swaTokens = Math.min(
    contextSize,
    Math.ceil((window + Math.min(batchSize, contextSize) + 1) / 256) * 256,
  );
  return perTokenPerLayer * ((a.layers - swaLayers) * contextSize + swaLayers * swaTokens);
}

/**
 * llama.cpp compute buffer (graph scratch memory) for a ubatch of min(batchSize, contextSize) tokens:
 * max(attention, logits) + activations + output buffer, where
 * - attention without flash attention = 4 B × ubatch × contextSize × (heads + 1): the f32 KQ scores of one
 *   layer plus the f32 KQ mask; with flash attention = 2 B × ubatch × contextSize (the f16 mask only).
 *   Measured here on stories260K (8 heads): 9.76 / 36.76 / 72.76 MiB at contexts 512 / 2048 / 4096 with
 *   ubatch 512, 36.38 MiB at ubatch 256, and 5.52 MiB with flash attention at 4096 — the formula gives
 *   9.0 / 36 / 72 / 36 / 4 MiB plus the activations below.
 * - logits = 4 B × ubatch × vocabulary (llama.cpp reserves the graph with n_outputs = n_tokens, seen in the
 *   `graph_reserve` debug log; this term dominates for 150k–260k-token vocabularies);
 * - activations ≈ 4 B × ubatch × embedding × 12 (hidden state, norms and the SwiGLU FFN intermediates; FFN
 *   width ≤ 5.5 × embedding in the catalogue; measured remainder 0.76 MiB vs 1.5 MiB from this bound);
 * - output buffer = 4 B × vocabulary (logits of one sequence, llama_context::output_reserve).
 */
export function computeBufferBytes(
  model: CatalogueModel,
  contextSize: number,
  opts: { batchSize?: number; flashAttention?: boolean } = {},
): number {
  const a = arch(model);
  const ubatch = Math.min(opts.batchSize ?? 512, contextSize);
  const attention = opts.flashAttention
    ? 2 * ubatch * contextSize
    : 4 * ubatch * contextSize * (a.attentionHeads + 1);
  const logits = 4 * ubatch * a.vocabSize;
  const activations = 4 * ubatch * a.embeddingLength * 12;
  return Math.max(attention, logits) + activations + 4 * a.vocabSize;
}

/** How the device's memory can be used. */
export interface MemoryBudget {
  /** "cpu": no usable GPU; "unified": the GPU shares RAM (one pool); "discrete": VRAM + RAM. */
  kind: "cpu" | "unified" | "discrete";
  /** RAM for the model: MemAvailable − profile.osReserveBytes (never swap), ≥ 0. */
  ramBytes: number;
  /** VRAM for offloaded layers: VRAM − vramPaddingBytes(VRAM); 0 unless discrete. */
  vramBytes: number;
  /** ramBytes + vramBytes (unified memory is counted once). */
  totalBytes: number;
  /** The GPU used (largest-VRAM discrete one, or the unified-memory one), when any. */
  gpu: GpuInfo | null;
  /** One line for the explanation: what was counted and what was not. */
  description: string;
}

/**
 * The memory budget of a device under a profile.
 * - CPU (no usable GPU — isUsableGpu: nvidia/amd/intel/apple — or `profile.runtime.gpu === false`): RAM = availableBytes − osReserveBytes.
 * - Unified memory (Jetson, iGPUs, Apple): the same single RAM pool; VRAM is never added on top.
 * - Discrete GPU (largest VRAM among usable GPUs): VRAM − min(8 %, 1.6 GiB) for offloaded layers plus the
 *   RAM budget for the rest.
 * Swap (`memory.swapBytes`) never counts (ollama refuses models larger than RAM for the same reason, #5674).
 */
export function memoryBudget(report: HardwareReport, profile: DeviceProfile): MemoryBudget {
  const ramBytes = Math.max(0, report.memory.availableBytes - profile.osReserveBytes);
  const gib = (n: number) => `${(n / GIB).toFixed(1)} GiB`;
  const ramText = `${gib(report.memory.availableBytes)} available RAM − ${gib(profile.osReserveBytes)} reserved for the OS and agent`;
  const usable = profile.runtime.gpu === false ? [] : report.gpus.filter(isUsableGpu);
  const unified = usable.find((g) => g.unifiedMemory);
  const discrete = usable
    .filter((g) => !g.unifiedMemory && (g.vramBytes ?? 0) > 0)
    .sort((a, b) => (b.vramBytes ?? 0) - (a.vramBytes ?? 0))[0];
  if (discrete?.vramBytes) {
    const vramBytes = discrete.vramBytes - vramPaddingBytes(discrete.vramBytes);
    return {
      kind: "discrete",
      ramBytes,
      vramBytes,
      totalBytes: ramBytes + vramBytes,
      gpu: discrete,
      description: `${gib(vramBytes)} VRAM on ${discrete.model} (after node-llama-cpp's padding) + ${ramText}; swap not counted`,
    };
  }
  if (unified) {
    return {
      kind: "unified",
      ramBytes,
      vramBytes: 0,
      totalBytes: ramBytes,
      gpu: unified,
      description: `${ramText} (${unified.model} shares this memory, counted once); swap not counted`,
    };
  }
  return {
    kind: "cpu",
    ramBytes,
    vramBytes: 0,
    totalBytes: ramBytes,
    gpu: null,
    description: `${ramText}; swap not counted`,
  };
}

/** Options of one fit estimate. */
export interface FitOptions {
  contextSize: number;
  kvCacheType?: KvCacheType;
  batchSize?: number;
  flashAttention?: boolean;
  /** Headroom fraction for "fits" (default DEFAULT_HEADROOM = 0.2). */
  headroom?: number;
}

/** A memory estimate placed on a device. */
export interface PlacedEstimate {
  memory: MemoryEstimate;
  /** Layers offloaded to the GPU (all of them on unified memory with a GPU backend, 0 on CPU). */
  gpuLayers: number;
  /** Bytes that must sit in VRAM (discrete GPU) and in RAM. */
  gpuBytes: number;
  cpuBytes: number;
  /** Fraction of the weights on the GPU (decides the speed estimate). */
  gpuFraction: number;
  /** "fits" (≥ headroom), "tight" (fits without headroom) or "too-large". */
  memoryFit: Extract<Fit, "fits" | "tight" | "too-large">;
}

/**
 * The memory one GGUF file needs at `opts.contextSize`, without placement:
 * weights = file bytes; KV cache = kvCacheBytes; overhead = compute buffer + RUNTIME_OVERHEAD_BYTES.
 */
export function estimateMemory(model: CatalogueModel, file: CatalogueFile, opts: FitOptions): MemoryEstimate {
  const weightsBytes = file.fileBytes;
  const kv = kvCacheBytes(model, opts.contextSize, opts.kvCacheType, opts.batchSize);
  const overheadBytes = computeBufferBytes(model, opts.contextSize, opts) + RUNTIME_OVERHEAD_BYTES;
  return { weightsBytes, kvCacheBytes: kv, overheadBytes, totalBytes: weightsBytes + kv + overheadBytes };
}

/**
 * Places a model on the device and rates the memory fit.
 * CPU / unified: total ≤ budget/(1 + headroom) → "fits"; ≤ budget → "tight"; else "too-large"
 * (unified with a GPU backend offloads every layer: same pool, no extra bytes).
 * Discrete GPU: each layer carries weights/layers + its KV cache; the GPU also holds the compute buffer.
 * The most layers whose GPU part fits VRAM (with headroom, else without) are offloaded; the rest plus the
 * runtime overhead (and a CPU compute buffer when the split is partial) must fit RAM.
 */
export function placeModel(
  model: CatalogueModel,
  file: CatalogueFile,
  budget: MemoryBudget,
  opts: FitOptions,
): PlacedEstimate {
  const memory = estimateMemory(model, file, opts);
  const headroom = 1 + (opts.headroom ?? DEFAULT_HEADROOM);
  const layers = model.architecture.layers;
  if (budget.kind !== "discrete") {
    const memoryFit =
      memory.totalBytes * headroom <= budget.ramBytes
        ? "fits"
        : memory.totalBytes <= budget.ramBytes
          ? "tight"
          : "too-large";
    const onGpu = budget.kind === "unified";
    return {
      memory,
      gpuLayers: onGpu ? layers : 0,
      gpuBytes: 0,
      cpuBytes: memory.totalBytes,
      gpuFraction: onGpu ? 1 : 0,
      memoryFit,
    };
  }
  const compute = memory.overheadBytes - RUNTIME_OVERHEAD_BYTES;
  const perLayer = (memory.weightsBytes + memory.kvCacheBytes) / layers;
  const split = (g: number) => ({
    gpuBytes: g > 0 ? g * perLayer + compute : 0,
    cpuBytes: (layers - g) * perLayer + RUNTIME_OVERHEAD_BYTES + (g < layers ? compute : 0),
  });
  const place = (factor: number) => {
    let g = layers;
    while (g > 0 && split(g).gpuBytes * factor > budget.vramBytes) g--;
    const s = split(g);
    return { g, ...s, ok: s.cpuBytes * factor <= budget.ramBytes };
  };
  const roomy = place(headroom);
  const plain = roomy.ok ? roomy : place(1);
  const chosen = roomy.ok ? roomy : plain.ok ? plain : roomy;
  const memoryFit = roomy.ok ? "fits" : plain.ok ? "tight" : "too-large";
  const total = chosen.gpuBytes + chosen.cpuBytes;
  return {
    memory: {
      ...memory,
      totalBytes: total,
      overheadBytes: total - memory.weightsBytes - memory.kvCacheBytes,
    },
    gpuLayers: chosen.g,
    gpuBytes: chosen.gpuBytes,
    cpuBytes: chosen.cpuBytes,
    gpuFraction: chosen.g / layers,
    memoryFit,
  };
}
