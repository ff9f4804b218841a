import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { ModelSlot } from "./model-slot.js";
import type { EmbeddingResult } from "./types.js";

/**
 * Embeds `inputs` with the loaded model: an embedding context of node-llama-cpp (llama.cpp's pooled
 * embedding of the last hidden state) with the slot's context size and threads, made for this request and
 * freed after it, so a device pays its memory (one KV cache of `contextSize` tokens) only while embedding.
 * Vectors are in input order, `embeddingLength` numbers each (the model's hidden size).
 *
 * Throws UserError 400 naming the input index and both token counts when an input is longer than the
 * context; llama.cpp errors are rethrown. `signal` is checked between inputs.
 */
export async function runEmbedding(
  slot: ModelSlot,
  inputs: readonly string[],
  signal: AbortSignal,
): Promise<EmbeddingResult> {
  const context = await slot.model.createEmbeddingContext({
    contextSize: slot.contextSize,
    threads: slot.spec.threads,
    ...(slot.spec.batchSize !== undefined ? { batchSize: slot.spec.batchSize } : {}),
  });
  try {
    const vectors: number[][] = [];
    let promptTokens = 0;
    for (const [index, input] of inputs.entries()) {
      if (signal.aborted) throw signal.reason;
      const tokens = context.calculateInputLength(input);
      if (tokens > slot.contextSize) {
        throw new UserError(
          `input[${index}] is ${tokens} tokens, more than the context size of ${slot.contextSize} tokens`,
          { status: 400, code: ErrorCode.CONTEXT_LENGTH_EXCEEDED, fix: "split the text into shorter inputs" },
        );
      }
      promptTokens += tokens;
      const embedding = await context.getEmbeddingFor(input);
      vectors.push([...embedding.vector]);
    }
    return { vectors, promptTokens };
  } finally {
    await context.dispose();
  }
}
