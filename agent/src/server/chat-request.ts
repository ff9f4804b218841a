import { ErrorCode } from "../error-codes.js";
import { toGrammarSchema } from "../inference/json-schema-grammar.js";
import type {
  ChatMessage,
  LoadedModelInfo,
  ResponseFormat,
  SamplingAdjustments,
} from "../inference/types.js";
import {
  type OpenAiTool,
  type OpenAiToolCall,
  type OpenAiToolChoice,
  TOOL_CALLS_SCHEMA,
  TOOL_CHOICE_SCHEMA,
  TOOLS_SCHEMA,
  toToolCallRecords,
} from "./openai-tools.js";
import { ParamError } from "./param-error.js";

export { ParamError };

/** A message as OpenAI clients send it: content is a string or a list of parts. */
export interface OpenAiMessage {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  content?: string | { type: "text"; text: string }[] | null;
  name?: string;
  /** Assistant messages: the calls the model made. */
  tool_calls?: OpenAiToolCall[] | null;
  /** Tool messages: the call this is the result of. */
  tool_call_id?: string;
}

/** `response_format` (OpenAI structured outputs). */
export interface OpenAiResponseFormat {
  type: "text" | "json_object" | "json_schema";
  json_schema?: {
    name: string;
    schema?: Record<string, unknown>;
    strict?: boolean | null;
    description?: string;
  };
}

/** The fields of `POST /v1/chat/completions` that clawbox reads (others are tolerated and ignored). */
export interface ChatCompletionBody {
  model?: string;
  messages: OpenAiMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  user?: string;
  n?: number | null;
  tools?: OpenAiTool[] | null;
  tool_choice?: OpenAiToolChoice | null;
  parallel_tool_calls?: boolean | null;
  response_format?: OpenAiResponseFormat | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
}

const nullable = (schema: Record<string, unknown>) => ({ ...schema, type: [schema.type as string, "null"] });

/** presence/frequency penalty −2…2 and logit_bias values −100…100, the OpenAI API reference's ranges. */
export const SAMPLING_SCHEMA = {
  presence_penalty: nullable({ type: "number", minimum: -2, maximum: 2 }),
  frequency_penalty: nullable({ type: "number", minimum: -2, maximum: 2 }),
  logit_bias: nullable({
    type: "object",
    additionalProperties: { type: "number", minimum: -100, maximum: 100 },
  }),
} as const;

const RESPONSE_FORMAT_SCHEMA = nullable({
  type: "object",
  required: ["type"],
  properties: {
    type: { type: "string", enum: ["text", "json_object", "json_schema"] },
    json_schema: {
      type: "object",
      required: ["name"],
      properties: {
        name: { type: "string", pattern: "^[a-zA-Z0-9_-]{1,64}$" },
        description: { type: "string" },
        schema: { type: "object" },
        strict: { type: ["boolean", "null"] },
      },
    },
  },
});

/**
 * JSON Schema of the request body (fastify validates it before the handler). As OpenAI does, unknown
 * fields are tolerated (no additionalProperties: false) but known fields of the wrong type are rejected;
 * ranges follow the OpenAI API reference (temperature 0–2, top_p 0–1, at most 4 stop sequences).
 */
export const CHAT_COMPLETION_SCHEMA = {
  type: "object",
  required: ["messages"],
  properties: {
    model: { type: "string" },
    messages: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["role"],
        properties: {
          role: { type: "string", enum: ["system", "developer", "user", "assistant", "tool"] },
          content: {
            anyOf: [
              { type: "string" },
              {
                type: "array",
                items: {
                  type: "object",
                  required: ["type", "text"],
                  properties: { type: { type: "string", enum: ["text"] }, text: { type: "string" } },
                },
              },
              { type: "null" },
            ],
          },
          name: { type: "string" },
          tool_calls: TOOL_CALLS_SCHEMA,
          tool_call_id: { type: "string" },
        },
      },
    },
    stream: nullable({ type: "boolean" }),
    stream_options: nullable({
      type: "object",
      properties: { include_usage: nullable({ type: "boolean" }) },
    }),
    max_tokens: nullable({ type: "integer", minimum: 1 }),
    max_completion_tokens: nullable({ type: "integer", minimum: 1 }),
    temperature: nullable({ type: "number", minimum: 0, maximum: 2 }),
    top_p: nullable({ type: "number", minimum: 0, maximum: 1 }),
    seed: nullable({ type: "integer" }),
    stop: {
      anyOf: [
        { type: "string" },
        { type: "array", items: { type: "string" }, maxItems: 4 },
        { type: "null" },
      ],
    },
    user: { type: "string", maxLength: 256 },
    n: nullable({ type: "integer", minimum: 1 }),
    tools: TOOLS_SCHEMA,
    tool_choice: TOOL_CHOICE_SCHEMA,
    parallel_tool_calls: nullable({ type: "boolean" }),
    response_format: RESPONSE_FORMAT_SCHEMA,
    ...SAMPLING_SCHEMA,
    logprobs: nullable({ type: "boolean" }),
  },
} as const;

/**
 * Checks what the schema cannot say and converts the body to engine messages: text parts joined with
 * "\n", "developer" treated as "system" (OpenAI's newer name for it), an assistant message's tool_calls
 * joined with the results of the `role: "tool"` messages that answer them. Throws ParamError (400, with the
 * OpenAI `param`) for n > 1, logprobs, a tool message that answers no call, or a call without its result.
 */
export function toChatMessages(body: ChatCompletionBody): ChatMessage[] {
  if (body.n != null && body.n !== 1) {
    throw new ParamError(
      "n",
      `n=${body.n}: this server generates one choice per request`,
      "send n=1 or omit n",
    );
  }
  if (body.logprobs) throw new ParamError("logprobs", "logprobs are not supported", "omit logprobs");
  const results = new Map<string, string>();
  const callIds = new Set<string>();
  body.messages.forEach((m, i) => {
    for (const call of m.tool_calls ?? []) callIds.add(call.id);
    if (m.role !== "tool") return;
    if (m.tool_call_id === undefined || !callIds.has(m.tool_call_id)) {
      throw new ParamError(
        `messages[${i}].tool_call_id`,
        `messages[${i}] is a tool message whose tool_call_id ${JSON.stringify(m.tool_call_id ?? null)} matches no earlier assistant tool call`,
        "send the assistant message with its tool_calls before the tool results, with the same ids",
      );
    }
    results.set(m.tool_call_id, textOf(m.content));
  });
  const out: ChatMessage[] = [];
  body.messages.forEach((m, i) => {
    if (m.role === "tool") return;
    const calls = m.role === "assistant" ? (m.tool_calls ?? []) : [];
    if (m.content == null && calls.length === 0 && m.role !== "assistant") {
      throw new ParamError(
        `messages[${i}].content`,
        `messages[${i}].content is missing`,
        "send the message text",
      );
    }
    out.push({
      role: m.role === "developer" ? "system" : m.role,
      content: textOf(m.content),
      ...(calls.length > 0 ? { toolCalls: toToolCallRecords(calls, i, results) } : {}),
    });
  });
  return out;
}

function textOf(content: OpenAiMessage["content"]): string {
  return typeof content === "string" ? content : (content ?? []).map((p) => p.text).join("\n");
}

/**
 * The engine's response format: undefined for "text" or none; json_schema needs `json_schema.schema`,
 * which must be enforceable by a grammar (toGrammarSchema names the keyword otherwise).
 */
export function toResponseFormat(
  format: OpenAiResponseFormat | null | undefined,
): ResponseFormat | undefined {
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  const schema = format.json_schema?.schema;
  if (!schema) {
    throw new ParamError(
      "response_format.json_schema.schema",
      'response_format "json_schema" needs json_schema.schema',
      'send {"type": "json_schema", "json_schema": {"name": …, "schema": {…}}}',
      ErrorCode.MISSING_REQUIRED_PARAMETER,
    );
  }
  return { type: "json_schema", schema: toGrammarSchema(schema, "response_format.json_schema.schema") };
}

/** presence_penalty, frequency_penalty and logit_bias for the engine (see sampling-options.ts); undefined when none is set. */
export function toSampling(body: {
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
}): SamplingAdjustments | undefined {
  const out: SamplingAdjustments = {
    ...(body.presence_penalty ? { presencePenalty: body.presence_penalty } : {}),
    ...(body.frequency_penalty ? { frequencyPenalty: body.frequency_penalty } : {}),
    ...(body.logit_bias && Object.keys(body.logit_bias).length > 0 ? { logitBias: body.logit_bias } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `stop` as a list (the engine's shape); undefined when absent. */
export function stopList(stop: ChatCompletionBody["stop"]): string[] | undefined {
  if (stop == null) return undefined;
  const list = (typeof stop === "string" ? [stop] : stop).filter((s) => s.length > 0);
  return list.length > 0 ? list : undefined;
}

/**
 * Refuses a max_tokens (or max_completion_tokens, named by `param`) larger than the loaded model's context
 * size: prompt and reply share the context, so no reply can be that long. Values within it are still
 * capped by the engine at half the context size (the other half stays for the prompt). A remote backend's
 * model reports context size 0 (unknown here): its own server checks the limit, so nothing is refused.
 */
export function checkMaxTokens(
  value: number | null | undefined,
  param: string,
  model: LoadedModelInfo,
): void {
  if (value == null || model.contextSize === 0 || value <= model.contextSize) return;
  throw new ParamError(
    param,
    `${param}=${value} is more than the context size of model "${model.id}" (${model.contextSize} tokens, prompt included)`,
    `send ${param} ≤ ${Math.floor(model.contextSize / 2)} (replies are capped at half the context size)`,
    ErrorCode.INVALID_VALUE,
  );
}
