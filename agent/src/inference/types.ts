/**
 * The inference seam: the server, the CLI chat, the bridges and the benchmarks talk to an
 * `InferenceService`; `inference/engine.ts` implements it with node-llama-cpp.
 */

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** What to load and how; every number already decided by the caller (profile + recommendation + config). */
export interface ModelLoadSpec {
  /** Absolute path of a local GGUF file. */
  path: string;
  /** Catalogue id or file stem, shown in /v1/models and /status. */
  id: string;
  /** Context size in tokens (capped by the profile). */
  contextSize: number;
  /** CPU threads for generation and prompt processing. */
  threads: number;
  /** Layers offloaded to the GPU; 0 on CPU-only devices. */
  gpuLayers: number;
  /** Prompt batch size in tokens. */
  batchSize?: number;
  /** node-llama-cpp `getLlama({gpu})`. */
  gpu?: false | "cuda" | "vulkan" | "metal" | "auto";
  mmap?: boolean;
  flashAttention?: boolean;
  kvCacheType?: "f16" | "q8_0" | "q4_0";
  /**
   * KV cache sequences: conversations whose prompt cache stays warm between turns (default 2). Each one
   * costs contextSize × (KV bytes per token) of RAM/VRAM, e.g. 48 MiB for Qwen2.5-0.5B at 4096 tokens (f16).
   */
  sequences?: number;
  /**
   * Generations decoded together in one batch (each on its own sequence); default 1. Decided from the
   * profile's `parallelSequences`, bounded by the memory the fit leaves for KV caches (agent-runtime.ts).
   */
  parallel?: number;
  /** Name of a configured remote backend (`remote:<name>`): the switch goes there, nothing is loaded. */
  remote?: string;
}

export interface LoadedModelInfo {
  id: string;
  path: string;
  fileBytes: number;
  contextSize: number;
  threads: number;
  gpuLayers: number;
  /** Name of the chat template in use ("jinja", "chatml", "fallback", …). */
  chatTemplate: string;
  trainContextSize: number;
  loadedAt: string;
  /** Set when a remote backend answers instead of a local model (the URL never carries credentials). */
  remote?: { name: string; url: string; model: string | null };
}

export interface CompletionRequest {
  /** Requests of one conversation run in order; different conversations share the engine fairly. */
  conversationId: string;
  messages: ChatMessage[];
  maxTokens?: number;
  /** 0 = greedy. */
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  /** Aborted on client disconnect: the request leaves the queue or stops generating. */
  signal?: AbortSignal;
  /** Whole-request timeout in ms (queue wait + generation). */
  timeoutMs?: number;
  /** Called with each new piece of text as it is generated. */
  onText?: (text: string) => void;
}

export interface CompletionResult {
  text: string;
  promptTokens: number;
  completionTokens: number;
  finishReason: "stop" | "length" | "cancelled";
  /** Queue wait + prompt processing until the first token, ms. */
  timeToFirstTokenMs: number;
  /** Generation time after the first token, ms (for tokens/s). */
  generationMs: number;
  /** Id of the model that produced this result (it can differ from `model.id` after a hot switch). */
  modelId?: string;
}

export interface InferenceStats {
  queueDepth: number;
  activeRequests: number;
  tokensGenerated: number;
  /** Tokens/s of the most recent completed request, 0 before any. */
  lastTokensPerSecond: number;
}

export interface InferenceService {
  /** The loaded model, or null before the first load. */
  readonly model: LoadedModelInfo | null;
  /**
   * Loads a model, replacing the current one without restarting the process: new requests wait,
   * in-flight requests finish on the old model first. Throws UserError for a missing/invalid file.
   */
  load(spec: ModelLoadSpec): Promise<LoadedModelInfo>;
  /** Queues and runs one chat completion. Throws UserError("no model loaded") / timeout / cancelled. */
  complete(req: CompletionRequest): Promise<CompletionResult>;
  /** Tokens of `text` by the loaded model's own tokenizer. */
  countTokens(text: string): number;
  stats(): InferenceStats;
  /** Cancels queued work, waits for the active request to stop, frees the model. */
  close(): Promise<void>;
}
