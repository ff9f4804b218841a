import type { ReasonPart } from "./reason-parts.js";

/**
 * Model catalogue (`hardware-profiles/catalogue.yaml`, schema `hardware-profiles/catalogue.schema.json`)
 * and the recommendation shapes printed by `clawbox recommend --json`.
 */

/** llama.cpp quantisation types the catalogue lists, smallest to largest. */
export const QUANT_TYPES = ["Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"] as const;
export type QuantType = (typeof QUANT_TYPES)[number];

export interface CatalogueModel {
  /** Stable id, lower-case: "qwen2.5-1.5b-instruct". */
  id: string;
  name: string;
  /** Parameter count (e.g. 1_540_000_000), from the model card. */
  parameters: number;
  /** ISO 639-1 codes of languages the card says it supports well: ["en", "zh", …]. */
  languages: string[];
  /** SPDX id or licence name: "Apache-2.0", "Llama 3.2 Community License". */
  licence: string;
  /** Numbers the KV-cache estimate needs, from the GGUF metadata / config.json. */
  architecture: {
    layers: number;
    kvHeads: number;
    /** Per-head dimension of K and V. */
    headDim: number;
    /** Context the model was trained for, tokens. */
    trainedContext: number;
    /** Sliding-window size in tokens for SWA layers (Gemma 3), null when none. */
    slidingWindow?: number | null;
    /** Fraction of layers that use the sliding window (Gemma 3: 5/6), 0 when none. */
    slidingWindowFraction?: number;
    /** Query heads per layer (`attention.head_count`); sizes the llama.cpp compute buffer (KQ scores). */
    attentionHeads?: number;
    /** Hidden size (`embedding_length`); sizes the per-token activations in the compute buffer. */
    embeddingLength?: number;
    /** Vocabulary size; sizes the logits in the compute buffer. */
    vocabSize?: number;
  };
  /** False when some architecture number could not be verified from the GGUF metadata. */
  architectureVerified: boolean;
  /** Relative answer quality for ranking, 0–100 (source given in `qualitySource`). */
  quality: number;
  qualitySource: string;
  files: CatalogueFile[];
}

export interface CatalogueFile {
  quant: QuantType;
  /** Exact file size in bytes as the hosting page shows it (or computed, see `sizeVerified`). */
  fileBytes: number;
  /** node-llama-cpp model URI: "hf:bartowski/Qwen2.5-1.5B-Instruct-GGUF/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf". */
  uri: string;
  fileName: string;
  /** False when the size was computed or taken from a sibling repo rather than read off the file page. */
  sizeVerified: boolean;
  /** Where `fileBytes` comes from when it is not read off the file page (how it was computed). */
  sizeSource?: string;
  /** SHA-256 of the file when known (lower-case hex). */
  sha256?: string;
}

export type Fit = "fits" | "tight" | "too-large" | "too-slow" | "no-disk";

export interface MemoryEstimate {
  weightsBytes: number;
  kvCacheBytes: number;
  /** Compute buffer + runtime overhead. */
  overheadBytes: number;
  totalBytes: number;
}

export interface Choice {
  model: string;
  parameters: number;
  quant: QuantType;
  fileBytes: number;
  uri: string;
  contextSize: number;
  gpuLayers: number;
  threads: number;
  memory: MemoryEstimate;
  budgetBytes: number;
  estimatedTokensPerSecond: number;
}

export interface Alternative {
  model: string;
  quant: QuantType;
  fileBytes: number;
  memory: MemoryEstimate;
  estimatedTokensPerSecond: number;
  fit: Fit;
  /** One sentence: why it was not chosen (English, rendered from `noteParts`). */
  note: string;
  /** The same as message keys + numbers (reason-parts.ts), for the web app's languages. */
  noteParts?: ReasonPart[];
}

/** A model server on another machine the recommender can offer when no local model fits. */
export interface RemoteOffer {
  /** Backend name (`remote:<name>`): the config's key, or the announced host name for one found on the LAN. */
  name: string;
  /** Base URL of its OpenAI-compatible API. */
  url: string;
  /** "configured": in backends: (usable now unless localOnly); "mdns": announced as _clawbox._tcp on the LAN. */
  source: "configured" | "mdns";
  /** True when `clawbox models use remote:<name>` works right away (configured and routing.localOnly off). */
  ready: boolean;
}

export interface Recommendation {
  profile: string;
  reason: string;
  choice: Choice | null;
  /** When nothing fits (choice null) and a remote backend is known: where to answer from instead. */
  remote?: RemoteOffer[];
  alternatives: Alternative[];
  /** `reason` as message keys + numbers (reason-parts.ts), for the web app's languages; `reason` is its English. */
  reasonParts?: ReasonPart[];
}
