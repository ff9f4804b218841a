import type { Llama, Token } from "node-llama-cpp";
import type { Logger } from "pino";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { renderPromptTokens, toChatHistory } from "./chat-format.js";
import { runCompletion } from "./completion-runner.js";
import { runEmbedding } from "./embedding-runner.js";
import { FairQueue } from "./fair-queue.js";
import { fitHistory, type HistoryWindow } from "./history-budget.js";
import { LlamaRuntime } from "./llama-runtime.js";
import { checkLoadSpec, inspectModelFile } from "./model-file.js";
import { ModelSlot } from "./model-slot.js";
import { runTextCompletion } from "./text-completion-runner.js";
import { toChatFunctions } from "./tool-calls.js";
import type {
  ChatMessage,
  CompletionRequest,
  CompletionResult,
  EmbeddingRequest,
  EmbeddingResult,
  InferenceService,
  InferenceStats,
  LoadedModelInfo,
  ModelLoadSpec,
  TextCompletionRequest,
} from "./types.js";

/** Knobs of {@link createInferenceService}; every one has a default suited to a small device. */
export interface InferenceServiceOptions {
  logger?: Logger;
  /** A node-llama-cpp binding to use instead of creating one per backend (tests; not disposed on close). */
  llama?: Llama;
  /**
   * Least generations at once (default 1: on a Pi-class CPU a second one only halves both speeds). A model
   * loaded with `spec.parallel` runs that many at once, decoded together in one batch.
   */
  concurrency?: number;
  /** Requests allowed to wait before `busy` (default 64). */
  maxQueued?: number;
  /** maxTokens when a request gives none (default 512; always capped at half the context size). */
  defaultMaxTokens?: number;
  /** timeoutMs when a request gives none, ms (default 300,000 = 5 min; 0 = none). */
  defaultTimeoutMs?: number;
  /** Share of the prompt budget freed when a long conversation is trimmed (default 0.25, see fitHistory). */
  historyHeadroom?: number;
  /** Conversations whose trim position is remembered (default 1,024; least recently used forgotten). */
  maxTrackedConversations?: number;
  /** Longest wait for a llama.cpp binding to dispose on close(), ms (default 5,000; see LlamaRuntime.dispose). */
  disposeTimeoutMs?: number;
}

/**
 * Creates the local inference engine (node-llama-cpp): one loaded model at a time with hot switching, a fair
 * per-conversation queue, chat history bounded by a token budget of the model's own tokenizer, and KV cache
 * reuse across a conversation's turns. Nothing is loaded until {@link InferenceService.load}.
 */
export function createInferenceService(opts: InferenceServiceOptions = {}): InferenceService {
  return new LlamaInferenceService(opts);
}

function noModelError(): UserError {
  return new UserError("No model is loaded yet.", {
    code: ErrorCode.MODEL_NOT_LOADED,
    status: 503,
    fix: "Pick a model in the setup wizard or run `clawbox models use <id>`.",
  });
}

function closedError(): UserError {
  return new UserError("The inference engine is shutting down.", {
    code: ErrorCode.ENGINE_CLOSED,
    status: 503,
    fix: "Retry once the agent has restarted.",
  });
}

function badRequest(why: string): UserError {
  return new UserError(`Invalid completion request: ${why}.`, {
    code: ErrorCode.INVALID_REQUEST,
    status: 400,
    fix: "Send a non-empty conversationId and messages with role system/user/assistant and string content.",
  });
}

class LlamaInferenceService implements InferenceService {
  private readonly logger: Logger | undefined;
  private readonly runtime: LlamaRuntime;
  private readonly queue: FairQueue;
  private readonly concurrency: number;
  private readonly defaultMaxTokens: number;
  private readonly defaultTimeoutMs: number;
  private readonly headroom: number;
  private readonly maxTracked: number;
  /** Per conversation: where its window started last time (insertion order = recency). */
  private readonly windows = new Map<string, HistoryWindow>();
  private slot: ModelSlot | null = null;
  private pendingLoads = 0;
  private loadChain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private tokensGenerated = 0;
  private lastTokensPerSecond = 0;
  private readonly disposeTimeoutMs: number;

  constructor(opts: InferenceServiceOptions) {
    this.disposeTimeoutMs = opts.disposeTimeoutMs ?? 5_000;
    this.logger = opts.logger;
    this.runtime = new LlamaRuntime(opts.logger, opts.llama);
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 1));
    this.queue = new FairQueue({ concurrency: this.concurrency, maxQueued: opts.maxQueued ?? 64 });
    this.defaultMaxTokens = opts.defaultMaxTokens ?? 512;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 300_000;
    this.headroom = opts.historyHeadroom ?? 0.25;
    this.maxTracked = opts.maxTrackedConversations ?? 1024;
  }

  get model(): LoadedModelInfo | null {
    return this.slot?.info ?? null;
  }

  load(spec: ModelLoadSpec): Promise<LoadedModelInfo> {
    if (this.closed) return Promise.reject(closedError());
    this.pendingLoads++;
    const run = this.loadChain.then(() => this.switchTo(spec));
    this.loadChain = run.catch(() => undefined);
    return run.finally(() => {
      this.pendingLoads--;
    });
  }

  /**
   * The hot switch: check the new file first (a bad path never disturbs the running model), then hold new
   * requests, let in-flight ones finish on the old model, free it, load the new one. If the new one fails to
   * load, the previous spec is loaded again and the error (UserError naming the file) is rethrown.
   */
  private async switchTo(spec: ModelLoadSpec): Promise<LoadedModelInfo> {
    if (this.closed) throw closedError();
    checkLoadSpec(spec);
    const facts = await inspectModelFile(spec.path);
    const llama = await this.runtime.get(spec.gpu ?? false);
    this.queue.pause();
    try {
      await this.queue.onIdle();
      const old = this.slot;
      if (old) {
        this.slot = null;
        await old.dispose();
      }
      try {
        this.slot = await ModelSlot.load(llama, spec, facts, {
          minSequences: this.parallelOf(spec),
          logger: this.logger,
        });
        this.queue.setConcurrency(this.parallelOf(spec));
      } catch (err) {
        if (old) await this.restore(old.spec);
        throw err;
      }
      this.windows.clear();
      this.logger?.info({ model: this.slot.info }, "model loaded");
      return this.slot.info;
    } finally {
      this.queue.resume();
    }
  }

  /**
   * Generations that run at once on `spec`: its `parallel` (profile, bounded by memory) or the factory's
   * `concurrency`, whichever is larger. Each runs on its own sequence of the one context; node-llama-cpp
   * dispatches the evaluations of all sequences queued in the same tick as one llama.cpp batch.
   */
  private parallelOf(spec: ModelLoadSpec): number {
    return Math.max(this.concurrency, Math.floor(spec.parallel ?? 1));
  }

  private async restore(spec: ModelLoadSpec): Promise<void> {
    try {
      const facts = await inspectModelFile(spec.path);
      this.slot = await ModelSlot.load(await this.runtime.get(spec.gpu ?? false), spec, facts, {
        minSequences: this.parallelOf(spec),
        logger: this.logger,
      });
      this.queue.setConcurrency(this.parallelOf(spec));
      this.logger?.warn({ model: spec.id }, "new model failed to load; previous model loaded again");
    } catch (err) {
      this.logger?.error(
        { model: spec.id, err },
        "previous model could not be loaded again; no model loaded",
      );
    }
  }

  complete(req: CompletionRequest): Promise<CompletionResult> {
    const invalid = validateRequest(req);
    if (invalid) return Promise.reject(badRequest(invalid));
    return this.schedule(req.conversationId, req, (signal, enqueuedAt) => this.run(req, signal, enqueuedAt));
  }

  /** Legacy text completion: the prompt continued without a chat template (see runTextCompletion). */
  completeText(req: TextCompletionRequest): Promise<CompletionResult> {
    return this.schedule(req.conversationId, req, async (signal, enqueuedAt) => {
      const slot = this.slot;
      if (!slot) throw noModelError();
      const maxTokens = this.clampMaxTokens(slot, req.maxTokens);
      const lease = slot.acquire(req.conversationId);
      try {
        const result = await runTextCompletion({ slot, lease, request: req, maxTokens, signal, enqueuedAt });
        this.tokensGenerated += result.completionTokens;
        return result;
      } finally {
        slot.release(lease);
      }
    });
  }

  /**
   * Embeddings with the loaded chat model (runEmbedding), queued like a generation so it never competes
   * with one for the CPU; all embedding requests share one queue key ("embeddings").
   */
  embed(req: EmbeddingRequest): Promise<EmbeddingResult> {
    return this.schedule("embeddings", req, (signal) => {
      const slot = this.slot;
      if (!slot) throw noModelError();
      return runEmbedding(slot, req.inputs, signal);
    });
  }

  /**
   * Queues `job` under `key` with the request's signal and timeout (the engine default when it gives none).
   * A request made after load() was called runs on the model that switch leaves loaded (the new one, or
   * the old one restored), even while the switch is still checking the new file and has not paused the
   * queue yet. The wait for the switch does not count against the request's timeout.
   */
  private schedule<T>(
    key: string,
    req: { signal?: AbortSignal; timeoutMs?: number },
    job: (signal: AbortSignal, enqueuedAt: number) => Promise<T>,
  ): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    if (!this.slot && this.pendingLoads === 0) return Promise.reject(noModelError());
    const enqueuedAt = performance.now();
    const timeoutMs = req.timeoutMs ?? this.defaultTimeoutMs;
    const enqueue = () =>
      this.closed
        ? Promise.reject(closedError())
        : this.queue.enqueue(key, (signal) => job(signal, enqueuedAt), {
            ...(req.signal ? { signal: req.signal } : {}),
            ...(timeoutMs > 0 ? { timeoutMs } : {}),
          });
    if (this.pendingLoads > 0) return this.loadChain.then(enqueue);
    return enqueue();
  }

  /** The request's maxTokens (or the default), at most half the context size, at least 1. */
  private clampMaxTokens(slot: ModelSlot, maxTokens: number | undefined): number {
    return Math.max(1, Math.min(maxTokens ?? this.defaultMaxTokens, Math.floor(slot.contextSize / 2)));
  }

  private async run(
    req: CompletionRequest,
    signal: AbortSignal,
    enqueuedAt: number,
  ): Promise<CompletionResult> {
    const slot = this.slot;
    if (!slot) throw noModelError();
    const maxTokens = this.clampMaxTokens(slot, req.maxTokens);
    const functions = req.tools ? toChatFunctions(req.tools) : undefined;
    const previous = this.windows.get(req.conversationId);
    // Every window fitHistory measures is system + the turns from some start, so its length names it; the
    // chosen one's tokens are handed to the runner instead of rendering and tokenizing the prompt again.
    const rendered = new Map<number, Token[]>();
    const fitted = fitHistory({
      messages: req.messages,
      budget: slot.contextSize - maxTokens - 1,
      headroom: this.headroom,
      countTokens: (m: readonly ChatMessage[]) => {
        const tokens = renderPromptTokens(slot.model, slot.format.wrapper, toChatHistory(m), functions);
        rendered.set(m.length, tokens);
        return tokens.length;
      },
      ...(previous ? { previous } : {}),
    });
    const promptTokens = rendered.get(fitted.messages.length);
    this.remember(req.conversationId, fitted.window);
    const lease = slot.acquire(req.conversationId);
    try {
      const { result, reusedPromptTokens } = await runCompletion({
        slot,
        lease,
        request: req,
        messages: fitted.messages,
        maxTokens,
        signal,
        enqueuedAt,
        ...(promptTokens ? { promptTokens } : {}),
      });
      this.tokensGenerated += result.completionTokens;
      if (result.completionTokens > 1 && result.generationMs > 0) {
        this.lastTokensPerSecond = ((result.completionTokens - 1) * 1000) / result.generationMs;
      }
      this.logger?.debug(
        {
          conversationId: req.conversationId,
          model: slot.info.id,
          sequence: lease.index,
          warm: lease.warm,
          promptTokens: result.promptTokens,
          reusedPromptTokens,
          droppedTurns: fitted.dropped,
          completionTokens: result.completionTokens,
          finishReason: result.finishReason,
          timeToFirstTokenMs: Math.round(result.timeToFirstTokenMs),
          generationMs: Math.round(result.generationMs),
        },
        "completion",
      );
      return result;
    } finally {
      slot.release(lease);
    }
  }

  private remember(conversationId: string, window: HistoryWindow): void {
    this.windows.delete(conversationId);
    this.windows.set(conversationId, window);
    if (this.windows.size > this.maxTracked) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
  }

  countTokens(text: string): number {
    if (!this.slot) throw noModelError();
    return this.slot.model.tokenize(text).length;
  }

  stats(): InferenceStats {
    return {
      queueDepth: this.queue.queued,
      activeRequests: this.queue.active,
      tokensGenerated: this.tokensGenerated,
      lastTokensPerSecond: this.lastTokensPerSecond,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.cancelAll(closedError());
    await this.queue.onIdle();
    await this.loadChain;
    const slot = this.slot;
    this.slot = null;
    await slot?.dispose();
    await this.runtime.dispose(this.disposeTimeoutMs);
  }
}

/** Why `req` is malformed, or undefined when it is fine. */
function validateRequest(req: CompletionRequest): string | undefined {
  if (typeof req.conversationId !== "string" || req.conversationId === "") return "conversationId is empty";
  if (!Array.isArray(req.messages) || req.messages.length === 0) return "messages is empty";
  for (const [i, m] of req.messages.entries()) {
    if (!m || !["system", "user", "assistant"].includes(m.role))
      return `messages[${i}].role is not system/user/assistant`;
    if (typeof m.content !== "string") return `messages[${i}].content is not a string`;
  }
  if (req.maxTokens !== undefined && (!Number.isInteger(req.maxTokens) || req.maxTokens < 1)) {
    return "maxTokens must be a positive integer";
  }
  return undefined;
}
