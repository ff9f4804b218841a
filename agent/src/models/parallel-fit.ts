/**
 * How many conversations can decode together (parallel KV cache sequences) for one model on this device:
 * what the profile asks for, lowered to what the memory left after weights and compute buffer holds.
 */

import { DEFAULT_HEADROOM } from "./fit.js";

export interface ParallelFitInput {
  /** Sequences the profile (or the config's inference.parallel) asks for, ≥ 1. */
  wanted: number;
  /** Bytes the device can give the model (fit.ts memoryBudget totalBytes); null = unknown (no bound). */
  memoryBytes: number | null;
  /** Weights of the model file, bytes (gguf-refine.ts estimateForFile). */
  weightsBytes: number;
  /** Compute buffer + runtime overhead, bytes (estimateForFile overheadBytes). */
  overheadBytes: number;
  /** KV cache of one sequence at the context size, bytes (estimateForFile kvCacheBytes). */
  kvBytesPerSequence: number;
  /** Spare share kept free (default fit.ts DEFAULT_HEADROOM, 0.2: llmfit's "Good" threshold). */
  headroom?: number;
}

export interface ParallelFit {
  /** Sequences to create, 1 ≤ parallel ≤ wanted. */
  parallel: number;
  /** Sequences the memory holds (before the profile's cap); Infinity when memory is unknown. */
  memoryHolds: number;
}

/**
 * parallel = clamp(⌊(memory ÷ (1 + headroom) − weights − overhead) ÷ KV per sequence⌋, 1, wanted).
 * One sequence is always allowed (the model fit already decided a single one fits). Example: Qwen2.5-0.5B
 * Q8_0 (≈ 0.5 GiB weights, 12 KiB/token f16 KV ⇒ 48 MiB per 4,096-token sequence) on a 4 GiB Pi 5
 * with ≈ 2.6 GiB for the model holds 40 sequences, so the profile's 2 applies.
 */
export function parallelSequencesFor(input: ParallelFitInput): ParallelFit {
  const wanted = Math.max(1, Math.floor(input.wanted));
  if (input.memoryBytes === null || input.kvBytesPerSequence <= 0) {
    return { parallel: wanted, memoryHolds: Number.POSITIVE_INFINITY };
  }
  const usable = input.memoryBytes / (1 + (input.headroom ?? DEFAULT_HEADROOM));
  const memoryHolds = Math.max(
    0,
    Math.floor((usable - input.weightsBytes - input.overheadBytes) / input.kvBytesPerSequence),
  );
  return { parallel: Math.min(wanted, Math.max(1, memoryHolds)), memoryHolds };
}
