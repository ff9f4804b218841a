import { LlamaCompletion, type LlamaCompletionResponse, type Token } from "node-llama-cpp";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { ModelSlot, SequenceLease } from "./model-slot.js";
import { generationOptions } from "./sampling-options.js";
import type { CompletionResult, TextCompletionRequest } from "./types.js";

/**
 * Runs one legacy text completion (`/v1/completions`) on a leased sequence with node-llama-cpp's
 * LlamaCompletion: the prompt is continued as is, no chat template. A LlamaCompletion is only a view of the
 * sequence, so it is made per request and disposed without the sequence; a later chat turn on the same
 * sequence reuses whatever prefix of its KV cache still matches.
 *
 * `maxTokens` is already clamped by the caller; a prompt that leaves no room for it throws UserError 400
 * naming both numbers. Finish reasons as runCompletion ("length", "stop", "cancelled"); `timeout` rethrown.
 * Times in ms (`performance.now()`).
 */
export async function runTextCompletion(input: {
  slot: ModelSlot;
  lease: SequenceLease;
  request: TextCompletionRequest;
  maxTokens: number;
  signal: AbortSignal;
  enqueuedAt: number;
}): Promise<CompletionResult> {
  const { slot, lease, request, maxTokens, signal, enqueuedAt } = input;
  const promptTokens = slot.model.tokenize(request.prompt).length;
  // + 1 for the BOS token LlamaCompletion puts first
  if (promptTokens + 1 + maxTokens > slot.contextSize) {
    throw new UserError(
      `the prompt is ${promptTokens} tokens; with max_tokens ${maxTokens} that exceeds the context size of ${slot.contextSize} tokens`,
      { status: 400, code: ErrorCode.CONTEXT_LENGTH_EXCEEDED, fix: "shorten the prompt or lower max_tokens" },
    );
  }
  const sequence = lease.chat.sequence;
  const completion = new LlamaCompletion({ contextSequence: sequence });
  const meterBefore = sequence.tokenMeter.getState();
  let firstTokenAt: number | undefined;
  const onText = request.onText;
  let response: LlamaCompletionResponse | undefined;
  try {
    response = await completion.generateCompletionWithMeta(request.prompt, {
      ...generationOptions(slot.model, request, maxTokens, signal),
      onToken: (tokens: Token[]) => {
        if (tokens.length > 0) firstTokenAt ??= performance.now();
      },
      ...(onText ? { onTextChunk: (text: string) => text !== "" && onText(text) } : {}),
    });
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    completion.dispose({ disposeSequence: false });
  }
  const end = performance.now();
  const completionTokens = sequence.tokenMeter.diff(meterBefore).usedOutputTokens;
  if (signal.aborted && signal.reason instanceof UserError && signal.reason.code === ErrorCode.TIMEOUT) {
    throw signal.reason;
  }
  const firstAt = firstTokenAt ?? end;
  return {
    text: response?.response ?? "",
    promptTokens,
    completionTokens,
    finishReason: signal.aborted
      ? "cancelled"
      : response?.metadata.stopReason === "maxTokens"
        ? "length"
        : "stop",
    timeToFirstTokenMs: firstAt - enqueuedAt,
    generationMs: end - firstAt,
    modelId: slot.info.id,
  };
}
