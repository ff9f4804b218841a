/**
 * Refines the catalogue-based memory estimate once the GGUF file is at hand: node-llama-cpp reads its
 * header (`readGgufFileInfo`) and `GgufInsights` sizes the tensors and the context from the real metadata
 * (trained context, layers, tensor types), using llama.cpp's own simulation when the binding supports it.
 */

import { statSync } from "node:fs";
import { GgmlType, GgufInsights, type Llama, readGgufFileInfo } from "node-llama-cpp";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { KV_BYTES_PER_ELEMENT, type KvCacheType, RUNTIME_OVERHEAD_BYTES } from "./fit.js";
import type { MemoryEstimate } from "./types.js";

export interface RefineOptions {
  /** Context size in tokens. */
  contextSize: number;
  /** Layers offloaded to the GPU (0 on CPU). */
  gpuLayers: number;
  /** A Llama from getLlama() to reuse (its GPU decides VRAM vs RAM); without it GgufInsights uses a slim one. */
  llama?: Llama;
  /** Prompt batch size in tokens (default: node-llama-cpp's default for the context size). */
  batchSize?: number;
  kvCacheType?: KvCacheType;
  flashAttention?: boolean;
}

export interface RefinedEstimate extends MemoryEstimate {
  /** Context the model was trained for (GGUF `<arch>.context_length`), tokens; 0 when the file lacks it. */
  trainContextSize: number;
  /** Transformer blocks in the file (`<arch>.block_count`). */
  layers: number;
  /** Parameters counted from the tensor shapes. */
  parameters: number;
  /** Of totalBytes: what must sit in VRAM and in RAM for this gpuLayers. */
  gpuBytes: number;
  cpuBytes: number;
}

const GGML_KV_TYPE: Record<KvCacheType, GgmlType> = {
  f16: GgmlType.F16,
  q8_0: GgmlType.Q8_0,
  q4_0: GgmlType.Q4_0,
};

/**
 * Memory estimate for a local GGUF file at `opts.contextSize` with `opts.gpuLayers` offloaded.
 * - weights = GgufInsights.estimateModelResourceRequirementsV2 (RAM + VRAM of the tensors);
 * - KV cache = Σ over layers of 2·kvHeads·headDim·tokens·bytes per element from the file's metadata
 *   (per-layer `head_count_kv` arrays and Gemma-style sliding windows — every `sliding_window_pattern`-th
 *   layer global — honoured);
 * - overhead = estimateContextResourceRequirementsV2 (KV + compute buffer + output buffer) − KV cache
 *   + RUNTIME_OVERHEAD_BYTES (measured, see fit.ts).
 * Throws UserError (`gguf_invalid`) when the file cannot be read as GGUF.
 */
export async function estimateForFile(path: string, opts: RefineOptions): Promise<RefinedEstimate> {
  let info: Awaited<ReturnType<typeof readGgufFileInfo>>;
  try {
    info = await readGgufFileInfo(path, {
      sourceType: "filesystem",
      readTensorInfo: true,
      logWarnings: false,
    });
  } catch (err) {
    throw new UserError(`${path} is not a readable GGUF model file: ${(err as Error).message}`, {
      code: ErrorCode.GGUF_INVALID,
      fix: "check the path, or download the model again (clawbox models pull …)",
      cause: err,
    });
  }
  const insights = await GgufInsights.from(info, opts.llama);
  const kvType = GGML_KV_TYPE[opts.kvCacheType ?? "f16"];
  const weights = await insights.estimateModelResourceRequirementsV2({ gpuLayers: opts.gpuLayers });
  const context = await insights.estimateContextResourceRequirementsV2({
    contextSize: opts.contextSize,
    modelGpuLayers: opts.gpuLayers,
    batchSize: opts.batchSize,
    sequences: 1,
    flashAttention: opts.flashAttention ?? false,
    kvCacheKeyType: kvType,
    kvCacheValueType: kvType,
  });
  // GgufInsights.totalLayers counts the output layer too (block_count + 1)
  const layers = (info.architectureMetadata as ArchMetadata).block_count ?? insights.totalLayers - 1;
  const kv = kvFromMetadata(
    info.architectureMetadata as ArchMetadata,
    layers,
    opts.contextSize,
    opts.kvCacheType,
    insights.swaSize,
  );
  const weightsBytes = weights.cpuRam + weights.gpuVram;
  const contextBytes = context.cpuRam + context.gpuVram;
  const overheadBytes = Math.max(0, contextBytes - kv) + RUNTIME_OVERHEAD_BYTES;
  return {
    weightsBytes,
    kvCacheBytes: kv,
    overheadBytes,
    totalBytes: weightsBytes + kv + overheadBytes,
    trainContextSize: insights.trainContextSize ?? 0,
    layers,
    parameters: insights.totalParameters,
    gpuBytes: weights.gpuVram + context.gpuVram,
    cpuBytes: weights.cpuRam + context.cpuRam + RUNTIME_OVERHEAD_BYTES,
  };
}

/**
 * A quick estimate from the GGUF header alone (no tensor table, no llama.cpp binding: milliseconds, where
 * estimateForFile takes seconds on a busy 2-core machine): weights = the file's size, KV cache of one sequence
 * from the metadata as in estimateForFile (sliding windows not honoured: an over-estimate), overhead =
 * RUNTIME_OVERHEAD_BYTES + the f32 logits of one batch (4 B × batch × vocabulary, the compute buffer's largest
 * term for ≥ 150k vocabularies, see fit.ts computeBufferBytes). Used to bound parallel sequences at load.
 * Throws whatever readGgufFileInfo throws for a file that is not GGUF.
 */
export async function quickEstimateForFile(
  path: string,
  opts: { contextSize: number; batchSize: number; kvCacheType: KvCacheType },
): Promise<Pick<MemoryEstimate, "weightsBytes" | "kvCacheBytes" | "overheadBytes">> {
  const info = await readGgufFileInfo(path, { readTensorInfo: false, logWarnings: false });
  const meta = info.architectureMetadata as ArchMetadata & { vocab_size?: number };
  const vocab = meta.vocab_size ?? (info.metadata.tokenizer?.ggml?.tokens?.length as number | undefined) ?? 0;
  return {
    weightsBytes: statSync(path).size,
    kvCacheBytes: kvFromMetadata(meta, meta.block_count ?? 0, opts.contextSize, opts.kvCacheType, undefined),
    overheadBytes: RUNTIME_OVERHEAD_BYTES + 4 * Math.min(opts.batchSize, opts.contextSize) * vocab,
  };
}

interface ArchMetadata {
  block_count?: number;
  embedding_length?: number;
  attention?: {
    head_count?: number | number[];
    head_count_kv?: number | number[];
    key_length?: number;
    value_length?: number;
    sliding_window_pattern?: number | number[];
  };
}

/** KV-cache bytes from GGUF metadata (see estimateForFile). */
function kvFromMetadata(
  meta: ArchMetadata,
  layers: number,
  contextSize: number,
  kvCacheType: KvCacheType = "f16",
  swaSize: number | undefined,
): number {
  const a = meta.attention ?? {};
  const at = (v: number | number[] | undefined, i: number) => (Array.isArray(v) ? (v[i] ?? 0) : (v ?? 0));
  const pattern = a.sliding_window_pattern;
  let total = 0;
  for (let i = 0; i < layers; i++) {
    const heads = at(a.head_count, i) || 1;
    const kvHeads = at(a.head_count_kv, i) || heads;
    const kLen = a.key_length ?? Math.floor((meta.embedding_length ?? 0) / heads);
    const vLen = a.value_length ?? kLen;
    const swa =
      swaSize !== undefined &&
      swaSize > 0 &&
      (Array.isArray(pattern)
        ? Boolean(pattern[i])
        : typeof pattern === "number" && pattern > 0
          ? (i + 1) % pattern !== 0
          : false);
    const tokens = swa ? Math.min(contextSize, swaSize as number) : contextSize;
    total += kvHeads * (kLen + vLen) * tokens * KV_BYTES_PER_ELEMENT[kvCacheType];
  }
  return total;
}
