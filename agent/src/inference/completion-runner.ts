import {
  type ChatModelFunctions,
  LlamaChat,
  type LlamaChatResponse,
  type LlamaChatResponseFunctionCallParamsChunk,
  type LlamaGrammar,
  type Token,
} from "node-llama-cpp";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { renderPromptTokens, toChatHistory } from "./chat-format.js";
import type { ModelSlot, SequenceLease } from "./model-slot.js";
import { generationOptions, responseGrammar } from "./sampling-options.js";
import { collectToolCalls, forcedCallWrapper, toChatFunctions } from "./tool-calls.js";
import type { ChatMessage, CompletionRequest, CompletionResult } from "./types.js";

export { DEFAULT_TEMPERATURE } from "./sampling-options.js";

export interface RunCompletionInput {
  slot: ModelSlot;
  lease: SequenceLease;
  request: CompletionRequest;
  /** The history already fitted to the token budget (system + newest turns). */
  messages: readonly ChatMessage[];
  /** Tokens to generate at most (already clamped so prompt + maxTokens fits the context). */
  maxTokens: number;
  /** Aborted by the queue on cancel or `timeout`; `reason` is the UserError (`cancelled` / timeout). */
  signal: AbortSignal;
  /** `performance.now()` when the request entered the queue, ms. */
  enqueuedAt: number;
  /**
   * The prompt `messages` render to (chat format + tokenizer, BOS included) when the caller already has it
   * (the engine keeps it from fitting the history); rendered here otherwise.
   */
  promptTokens?: Token[];
}

interface ToolOptions {
  functions: ChatModelFunctions;
  maxParallelFunctionCalls?: number;
  onFunctionCallParamsChunk?: (chunk: LlamaChatResponseFunctionCallParamsChunk) => void;
}

export interface RunCompletionOutput {
  result: CompletionResult;
  /** Prompt tokens already in the sequence's KV cache (not evaluated again). */
  reusedPromptTokens: number;
}

/**
 * Runs one chat completion on a leased sequence with node-llama-cpp's LlamaChat: LlamaChat renders the
 * history with the model's chat format, keeps the common token prefix already in the sequence's KV cache
 * and evaluates only the rest, then samples until EOS / a stop trigger / `maxTokens` / abort.
 *
 * Text streams through `request.onText` in pieces that never split a UTF-8 character (LlamaChat holds back
 * tokens that end mid-character). Without `onText` no text callback is passed to LlamaChat: it then skips
 * detokenizing every token a second time for the callback (~2% of a 128-token completion of the test model,
 * CPU profile of the agent). Times are `performance.now()` differences in ms.
 *
 * With `request.tools` the functions are offered to the model (LlamaChat `functions`); for "required" or a
 * named choice the chat runs with {@link forcedCallWrapper}, so the reply is a grammar-constrained call.
 * `request.responseFormat` constrains the text with a JSON grammar; `request.sampling` maps as
 * samplingOptions documents.
 *
 * Returns finishReason "tool_calls" with `toolCalls` when the model called tools, "length" at maxTokens,
 * "cancelled" when the caller's signal aborted (with the text so far), else "stop". Throws the queue's `timeout` UserError when the time limit aborted it, and rethrows
 * llama.cpp errors as they are.
 */
export async function runCompletion(input: RunCompletionInput): Promise<RunCompletionOutput> {
  const { slot, lease, request, messages, maxTokens, signal, enqueuedAt } = input;
  const history = toChatHistory(messages);
  const functions = request.tools ? toChatFunctions(request.tools) : undefined;
  const promptTokens =
    input.promptTokens ?? renderPromptTokens(slot.model, slot.format.wrapper, history, functions);
  const reusedPromptTokens = lease.chat.sequence.compareContextTokens(promptTokens).firstDifferentIndex;

  const meterBefore = lease.chat.sequence.tokenMeter.getState();
  let firstTokenAt: number | undefined;
  const onToken = (tokens: Token[]): void => {
    if (tokens.length > 0) firstTokenAt ??= performance.now();
  };
  const onText = request.onText;
  const onTextChunk = onText
    ? (text: string): void => {
        if (text !== "") onText(text);
      }
    : undefined;

  const grammar = await responseGrammar(slot.model, request.responseFormat);
  const onToolCallChunk = request.onToolCallChunk;
  // node-llama-cpp takes a grammar or functions, never both (the server refuses tools + response_format)
  const constraint: { grammar: LlamaGrammar } | ToolOptions | Record<string, never> = grammar
    ? { grammar }
    : functions
      ? {
          functions,
          ...(request.tools?.parallel === false ? { maxParallelFunctionCalls: 1 } : {}),
          ...(onToolCallChunk
            ? {
                onFunctionCallParamsChunk: (c: LlamaChatResponseFunctionCallParamsChunk) =>
                  onToolCallChunk({ index: c.callIndex, name: c.functionName, arguments: c.paramsChunk }),
              }
            : {}),
        }
      : {};
  // A forced call runs on a second LlamaChat over the same leased sequence (a LlamaChat is only a view of its
  // sequence; the KV cache and its prefix reuse are the sequence's), disposed without the sequence afterwards.
  const forced = request.tools !== undefined && request.tools.choice !== "auto";
  const chat = forced
    ? new LlamaChat({
        contextSequence: lease.chat.sequence,
        chatWrapper: forcedCallWrapper(slot.format.wrapper),
      })
    : lease.chat;
  let response: LlamaChatResponse<ChatModelFunctions> | undefined;
  try {
    response = await chat.generateResponse(history, {
      ...generationOptions(slot.model, request, maxTokens, signal),
      ...constraint,
      onToken,
      ...(onTextChunk ? { onTextChunk } : {}),
    });
  } catch (err) {
    // aborted before any text was generated: LlamaChat throws the signal's reason
    if (!signal.aborted) throw err;
  } finally {
    if (forced) chat.dispose({ disposeSequence: false });
  }

  const end = performance.now();
  // every sampled token, including ones held back or cut by a stop trigger (onToken only sees delivered ones)
  const completionTokens = lease.chat.sequence.tokenMeter.diff(meterBefore).usedOutputTokens;
  if (signal.aborted && isTimeout(signal.reason)) throw signal.reason;
  const stopReason = response?.metadata.stopReason;
  const toolCalls = response ? collectToolCalls(response) : [];
  const finishReason: CompletionResult["finishReason"] = signal.aborted
    ? "cancelled"
    : toolCalls.length > 0
      ? "tool_calls"
      : stopReason === "maxTokens"
        ? "length"
        : "stop";
  const firstAt = firstTokenAt ?? end;
  return {
    reusedPromptTokens,
    result: {
      text: response?.response ?? "",
      promptTokens: promptTokens.length,
      completionTokens,
      finishReason,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      timeToFirstTokenMs: firstAt - enqueuedAt,
      generationMs: end - firstAt,
      modelId: slot.info.id,
    },
  };
}

function isTimeout(reason: unknown): reason is UserError {
  return reason instanceof UserError && reason.code === ErrorCode.TIMEOUT;
}
