/**
 * The inference seam: the server, the CLI chat, the bridges and the benchmarks talk to an
 * `InferenceService`; `inference/engine.ts` implements it with node-llama-cpp.
 */

import type { GbnfJsonSchema } from "node-llama-cpp";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
  /** Tools an assistant message called, each with the result the caller sent back (OpenAI `role: "tool"`). */
  toolCalls?: ToolCallRecord[];
}

/** One tool call of the history: what the model called and what the tool answered. */
export interface ToolCallRecord {
  name: string;
  /** The arguments as parsed JSON. */
  params: unknown;
  /** The tool's answer as the caller sent it (text; JSON text is passed through as text). */
  result: string;
}

/** A tool the model may call (OpenAI `tools[].function`); `parameters` already checked by toGrammarSchema. */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters?: GbnfJsonSchema;
}

/**
 * The tools of a request and how the model may use them: "auto" (text or calls), "required" (at least one
 * call, any tool), or `{ name }` (exactly that tool). OpenAI's "none" is sent as no tools at all.
 */
export interface ToolsRequest {
  definitions: ToolDefinition[];
  choice: "auto" | "required" | { name: string };
  /** False: at most one call per reply (OpenAI `parallel_tool_calls: false`). Default: as many as the model makes. */
  parallel?: boolean;
}

/** A tool call the model made: the arguments as JSON text (OpenAI's `function.arguments`). */
export interface GeneratedToolCall {
  name: string;
  arguments: string;
}

/** Output constrained by a grammar: any JSON object, or JSON valid against `schema`. */
export type ResponseFormat = { type: "json_object" } | { type: "json_schema"; schema: GbnfJsonSchema };

/** Sampling adjustments of the OpenAI API (see sampling-options.ts for how each maps onto llama.cpp). */
export interface SamplingAdjustments {
  /** OpenAI presence_penalty, −2…2: subtracted once from the logit of every token already generated. */
  presencePenalty?: number;
  /** OpenAI frequency_penalty, −2…2: subtracted from a token's logit once per time it was generated. */
  frequencyPenalty?: number;
  /** OpenAI logit_bias: token id → bias −100…100 added to that token's logit (−100 bans it). */
  logitBias?: Record<string, number>;
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
  /** Tools the model may call; absent = none. Needs a model with a chat template. */
  tools?: ToolsRequest;
  /** Called as a tool call's arguments are generated: its index, name, and the next piece of JSON text. */
  onToolCallChunk?: (chunk: { index: number; name: string; arguments: string }) => void;
  /** Constrain the reply to JSON (grammar). Not combinable with `tools`. */
  responseFormat?: ResponseFormat;
  sampling?: SamplingAdjustments;
}

/**
 * A legacy text completion: `prompt` continued as is, without a chat template (`/v1/completions`);
 * `conversationId` is only the queue key. The other fields mean what they mean in CompletionRequest.
 */
export type TextCompletionRequest = Pick<
  CompletionRequest,
  | "conversationId"
  | "maxTokens"
  | "temperature"
  | "topP"
  | "seed"
  | "stop"
  | "signal"
  | "timeoutMs"
  | "onText"
  | "sampling"
> & { prompt: string };

/** Embeddings of `inputs` by the loaded model (`/v1/embeddings`). */
export interface EmbeddingRequest {
  inputs: string[];
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface EmbeddingResult {
  /** One vector per input, in input order; length = the model's embedding length. */
  vectors: number[][];
  /** Tokens of all inputs by the model's tokenizer. */
  promptTokens: number;
}

export interface CompletionResult {
  text: string;
  promptTokens: number;
  completionTokens: number;
  finishReason: "stop" | "length" | "cancelled" | "tool_calls";
  /** The tool calls the model made (finishReason "tool_calls"). */
  toolCalls?: GeneratedToolCall[];
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
  /**
   * Continues a raw prompt (no chat template). Optional: a backend without it makes `/v1/completions`
   * answer 501. Throws like complete().
   */
  completeText?(req: TextCompletionRequest): Promise<CompletionResult>;
  /** Embeds texts with the loaded model. Optional: without it `/v1/embeddings` answers 501. */
  embed?(req: EmbeddingRequest): Promise<EmbeddingResult>;
  /** Tokens of `text` by the loaded model's own tokenizer. */
  countTokens(text: string): number;
  stats(): InferenceStats;
  /** Cancels queued work, waits for the active request to stop, frees the model. */
  close(): Promise<void>;
}
