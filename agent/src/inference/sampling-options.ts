import {
  type LLamaContextualRepeatPenalty,
  type LlamaGrammar,
  LlamaJsonSchemaGrammar,
  type LlamaModel,
  type Token,
  TokenBias,
} from "node-llama-cpp";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { CompletionRequest, ResponseFormat, SamplingAdjustments } from "./types.js";

/**
 * Sampling temperature when the request gives none. 0.8 is node-llama-cpp's suggested balance between
 * variety and focus (LlamaChat option docs); OpenAI's default of 1.0 rambles on ≤ 1B models.
 */
export const DEFAULT_TEMPERATURE = 0.8;

/**
 * The options LlamaChat and LlamaCompletion share for one request: maxTokens, temperature (default
 * {@link DEFAULT_TEMPERATURE}), topP, seed, stop strings as custom stop triggers, the abort signal (stopping
 * with the text so far), and what {@link samplingOptions} maps.
 */
export function generationOptions(
  model: LlamaModel,
  request: Pick<CompletionRequest, "temperature" | "topP" | "seed" | "stop" | "sampling">,
  maxTokens: number,
  signal: AbortSignal,
) {
  return {
    ...samplingOptions(model, request.sampling, maxTokens),
    maxTokens,
    temperature: request.temperature ?? DEFAULT_TEMPERATURE,
    ...(request.topP !== undefined ? { topP: request.topP } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.stop && request.stop.length > 0 ? { customStopTriggers: request.stop } : {}),
    signal,
    stopOnAbortSignal: true,
  };
}

/** OpenAI's logit_bias value that bans a token ("-100 should result in a ban", API reference). */
const BAN = -100;

/**
 * node-llama-cpp generation options for the OpenAI sampling fields (LlamaChat and LlamaCompletion take the
 * same ones):
 * - presence_penalty / frequency_penalty → `repeatPenalty.presencePenalty` / `.frequencyPenalty`. llama.cpp's
 *   penalties sampler subtracts them from the logits exactly as OpenAI documents (presence once per token
 *   seen, frequency × count). The window is the tokens generated so far (`lastTokens` = maxTokens, as
 *   OpenAI counts the whole completion); node-llama-cpp's multiplicative repeat penalty stays at its default
 *   1.1, which applies to every request with or without these fields.
 * - logit_bias → `tokenBias`: `{logit: bias}` added to the token's logit; −100 → "never" (a ban).
 *   Throws UserError (400) for a key that is not a token id of the loaded model.
 * Returns only the options to set, so an empty request leaves node-llama-cpp's defaults untouched.
 */
export function samplingOptions(
  model: LlamaModel,
  sampling: SamplingAdjustments | undefined,
  maxTokens: number,
): { repeatPenalty?: LLamaContextualRepeatPenalty; tokenBias?: TokenBias } {
  if (!sampling) return {};
  const out: { repeatPenalty?: LLamaContextualRepeatPenalty; tokenBias?: TokenBias } = {};
  const { presencePenalty, frequencyPenalty, logitBias } = sampling;
  if (presencePenalty || frequencyPenalty) {
    out.repeatPenalty = {
      lastTokens: maxTokens,
      ...(presencePenalty ? { presencePenalty } : {}),
      ...(frequencyPenalty ? { frequencyPenalty } : {}),
    };
  }
  if (logitBias && Object.keys(logitBias).length > 0) {
    const bias = new TokenBias(model.tokenizer);
    const vocabulary = model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length ?? 0;
    for (const [key, value] of Object.entries(logitBias)) {
      const id = Number(key);
      if (!/^\d+$/.test(key) || id >= vocabulary) {
        throw new UserError(
          `logit_bias key "${key}" is not a token id of this model (ids are 0…${vocabulary - 1})`,
          {
            status: 400,
            code: ErrorCode.INVALID_VALUE,
            fix: "use token ids of the loaded model's tokenizer",
          },
        );
      }
      bias.set(id as Token, value <= BAN ? "never" : { logit: value });
    }
    out.tokenBias = bias;
  }
  return out;
}

/**
 * The grammar for a response_format: node-llama-cpp's built-in JSON grammar for json_object, a JSON schema
 * grammar for json_schema (the schema already checked by toGrammarSchema). Undefined when there is none.
 */
export async function responseGrammar(
  model: LlamaModel,
  format: ResponseFormat | undefined,
): Promise<LlamaGrammar | undefined> {
  if (!format) return undefined;
  if (format.type === "json_object") return model.llama.getGrammarFor("json");
  // the constructor's generic infers a literal schema type; a schema known only at run time is cast through
  return new LlamaJsonSchemaGrammar(model.llama, format.schema as never);
}
