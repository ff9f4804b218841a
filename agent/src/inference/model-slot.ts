import { availableParallelism } from "node:os";
import {
  type Llama,
  LlamaChat,
  type LlamaContext,
  type LlamaContextOptions,
  type LlamaModel,
} from "node-llama-cpp";
import type { Logger } from "pino";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { type ChatFormat, resolveChatFormat } from "./chat-format.js";
import type { ModelFileFacts } from "./model-file.js";
import { SequencePool } from "./sequence-pool.js";
import type { LoadedModelInfo, ModelLoadSpec } from "./types.js";

/** Default KV cache sequences per context (conversations kept warm). */
export const DEFAULT_SEQUENCES = 2;

const KV_CACHE_TYPES = { f16: "F16", q8_0: "Q8_0", q4_0: "Q4_0" } as const;

/** A chat bound to one context sequence, lent to one request at a time. */
export interface SequenceLease {
  chat: LlamaChat;
  index: number;
  /** The sequence last served this conversation, so its KV cache prefix is likely reusable. */
  warm: boolean;
}

/**
 * One loaded model: the llama.cpp model, one context with `sequences` sequences (each its own KV cache of
 * `contextSize` tokens), a LlamaChat per sequence, and the chat format. The engine holds at most one.
 */
export class ModelSlot {
  private readonly pool: SequencePool;

  private constructor(
    readonly spec: ModelLoadSpec,
    readonly info: LoadedModelInfo,
    readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly chats: LlamaChat[],
    readonly format: ChatFormat,
  ) {
    this.pool = new SequencePool(chats.length);
  }

  /** Context size in tokens that requests are budgeted against (the spec's, never "auto"). */
  get contextSize(): number {
    return this.spec.contextSize;
  }

  /** Sequences (parallel KV caches) in the context. */
  get sequences(): number {
    return this.chats.length;
  }

  /**
   * Loads `spec` on `llama`: model (gpuLayers, mmap, flash attention as given), then a context of
   * `spec.contextSize` tokens per sequence with `spec.threads` threads, `spec.batchSize` and the KV cache type.
   * `minSequences` raises the sequence count to the engine's concurrency.
   *
   * Throws UserError `model_load_failed` (422) naming the file and llama.cpp's reason when the model or its context
   * cannot be created (unsupported architecture, truncated file, not enough memory …); nothing stays allocated.
   */
  static async load(
    llama: Llama,
    spec: ModelLoadSpec,
    facts: ModelFileFacts,
    opts: { minSequences?: number; logger?: Logger } = {},
  ): Promise<ModelSlot> {
    const sequences = Math.max(spec.sequences ?? DEFAULT_SEQUENCES, opts.minSequences ?? 1);
    let model: LlamaModel | undefined;
    let stage = "model";
    try {
      model = await llama.loadModel({
        modelPath: spec.path,
        gpuLayers: spec.gpuLayers,
        ...(spec.mmap !== undefined ? { useMmap: spec.mmap } : {}),
        ...(spec.flashAttention !== undefined ? { defaultContextFlashAttention: spec.flashAttention } : {}),
      });
      stage = "context";
      const kv = spec.kvCacheType ? KV_CACHE_TYPES[spec.kvCacheType] : undefined;
      const contextOptions: LlamaContextOptions = {
        contextSize: spec.contextSize,
        sequences,
        threads: spec.threads,
        failedCreationRemedy: false,
        ...(spec.batchSize !== undefined ? { batchSize: spec.batchSize } : {}),
        ...(spec.flashAttention !== undefined ? { flashAttention: spec.flashAttention } : {}),
        ...(kv ? { experimentalKvCacheKeyType: kv, experimentalKvCacheValueType: kv } : {}),
      };
      const context = await model.createContext(contextOptions);
      const format = resolveChatFormat(model);
      const chats = Array.from(
        { length: sequences },
        () => new LlamaChat({ contextSequence: context.getSequence(), chatWrapper: format.wrapper }),
      );
      await warmUp(chats[0] as LlamaChat, opts.logger);
      if (!llama.gpu && spec.threads > availableParallelism()) {
        opts.logger?.warn(
          { threads: spec.threads, cpus: availableParallelism(), model: spec.id },
          "more threads than CPUs: llama.cpp's spin barriers stall and generation can slow down more than 10x",
        );
      }
      if (spec.contextSize > model.trainContextSize) {
        opts.logger?.warn(
          { contextSize: spec.contextSize, trainContextSize: model.trainContextSize, model: spec.id },
          "context size is larger than the model was trained on; answers degrade past the trained length",
        );
      }
      const info: LoadedModelInfo = {
        id: spec.id,
        path: spec.path,
        fileBytes: facts.fileBytes,
        contextSize: spec.contextSize,
        threads: spec.threads,
        gpuLayers: model.gpuLayers,
        chatTemplate: format.name,
        trainContextSize: model.trainContextSize,
        loadedAt: new Date().toISOString(),
      };
      return new ModelSlot(spec, info, model, context, chats, format);
    } catch (err) {
      await model?.dispose().catch(() => undefined);
      const what =
        stage === "model"
          ? "could not be loaded"
          : `loaded, but a ${spec.contextSize}-token context could not be created`;
      throw new UserError(`Model file ${spec.path} ${what}: ${(err as Error).message}`, {
        code: ErrorCode.MODEL_LOAD_FAILED,
        status: 422,
        fix:
          stage === "model"
            ? "Check that the file is complete and that this llama.cpp build supports its architecture; download it again if unsure."
            : "Lower contextSize, sequences or gpuLayers in the profile, or pick a smaller model.",
        cause: err,
      });
    }
  }

  /** Lends a sequence (and its chat) to a request of `conversationId`; give it back with {@link release}. */
  acquire(conversationId: string): SequenceLease {
    const { index, warm } = this.pool.acquire(conversationId);
    return { chat: this.chats[index] as LlamaChat, index, warm };
  }

  /** Returns a lent sequence. */
  release(lease: SequenceLease): void {
    this.pool.release(lease.index);
  }

  /** Frees the chats, the context (KV caches) and the model weights. */
  async dispose(): Promise<void> {
    for (const chat of this.chats) chat.dispose({ disposeSequence: true });
    await this.context.dispose();
    await this.model.dispose();
  }
}

/**
 * One 1-token reply to a short user turn right after loading, then the sequence is emptied again. The first
 * real request otherwise pays one-time costs: first touch of the KV cache and compute buffers and the first
 * compilation of the generation code (measured on the test model in a fresh process: time to first token of
 * the first request 29–42 ms, of later ones 1–3 ms). llama.cpp's own server does the same by default
 * (`--warmup`: an empty decode, then the KV cache is cleared). Costs one short prompt and one token at load.
 * A failure is logged at debug level and otherwise ignored (the real request would meet it anyway).
 */
async function warmUp(chat: LlamaChat, logger: Logger | undefined): Promise<void> {
  try {
    await chat.generateResponse(
      [
        { type: "user", text: "Hi" },
        { type: "model", response: [] },
      ],
      { maxTokens: 1, temperature: 0 },
    );
  } catch (err) {
    logger?.debug({ err }, "warm-up generation failed");
  } finally {
    await chat.sequence.clearHistory();
  }
}
