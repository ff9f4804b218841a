import type {
  CompletionRequest,
  CompletionResult,
  InferenceService,
  InferenceStats,
  LoadedModelInfo,
} from "../../../agent/src/inference/types.js";

export interface EchoInferenceOptions {
  /** Reply = `reply(lastUserText)`; default "echo: <text>". */
  reply?: (text: string) => string;
  /** Pieces streamed through onText (the reply split on spaces). Default true. */
  stream?: boolean;
  /** Awaited before answering (lets a test cut the connection mid-reply). */
  gate?: () => Promise<void>;
  /** Keep every request in `requests` (tests). Default true; the bench turns it off. */
  record?: boolean;
}

/**
 * An instant InferenceService stand-in for bridge tests and the bridge bench: it answers at once with a
 * deterministic text derived from the last user message, so the numbers measure the bridge, not a model.
 */
export class EchoInference implements InferenceService {
  readonly model: LoadedModelInfo = {
    id: "echo",
    path: "/dev/null",
    fileBytes: 0,
    contextSize: 4096,
    threads: 1,
    gpuLayers: 0,
    chatTemplate: "none",
    trainContextSize: 4096,
    loadedAt: new Date(0).toISOString(),
  };
  readonly requests: CompletionRequest[] = [];

  constructor(private readonly opts: EchoInferenceOptions = {}) {}

  async load(): Promise<LoadedModelInfo> {
    return this.model;
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    if (this.opts.record !== false) this.requests.push(req);
    const last = [...req.messages].reverse().find((m) => m.role === "user")?.content ?? "";
    const text = this.opts.reply ? this.opts.reply(last) : `echo: ${last}`;
    if (this.opts.gate) await this.opts.gate();
    if (req.onText && this.opts.stream !== false) {
      for (const piece of text.split(/(?<= )/)) req.onText(piece);
    }
    return {
      text,
      promptTokens: 0,
      completionTokens: text.split(" ").length,
      finishReason: "stop",
      timeToFirstTokenMs: 0,
      generationMs: 0,
      modelId: "echo",
    };
  }

  countTokens(text: string): number {
    return text.split(/\s+/).length;
  }

  stats(): InferenceStats {
    return { queueDepth: 0, activeRequests: 0, tokensGenerated: 0, lastTokensPerSecond: 0 };
  }

  async close(): Promise<void> {}
}
