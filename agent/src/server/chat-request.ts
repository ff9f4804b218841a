import { UserError } from "../errors.js";
import type { ChatMessage } from "../inference/types.js";

/** A message as OpenAI clients send it: content is a string or a list of parts. */
export interface OpenAiMessage {
  role: "system" | "developer" | "user" | "assistant";
  content: string | { type: "text"; text: string }[] | null;
  name?: string;
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
  tools?: unknown[] | null;
  response_format?: { type: string } | null;
  logprobs?: boolean | null;
}

const nullable = (schema: Record<string, unknown>) => ({ ...schema, type: [schema.type as string, "null"] });

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
        required: ["role", "content"],
        properties: {
          role: { type: "string", enum: ["system", "developer", "user", "assistant"] },
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
    tools: nullable({ type: "array" }),
    response_format: nullable({
      type: "object",
      required: ["type"],
      properties: { type: { type: "string" } },
    }),
    logprobs: nullable({ type: "boolean" }),
  },
} as const;

/**
 * Checks what the schema cannot say and converts the body to engine messages: text parts joined with
 * "\n", "developer" treated as "system" (OpenAI's newer name for it). Throws UserError (400, with the
 * OpenAI `param`) for n > 1, tools, a non-text response_format, logprobs, or no message with text.
 */
export function toChatMessages(body: ChatCompletionBody): ChatMessage[] {
  if (body.n != null && body.n !== 1) {
    throw new ParamError(
      "n",
      `n=${body.n}: this server generates one choice per request`,
      "send n=1 or omit n",
    );
  }
  if (body.tools && body.tools.length > 0) {
    throw new ParamError("tools", "tool calling is not supported by this server", "omit tools");
  }
  if (body.response_format && body.response_format.type !== "text") {
    throw new ParamError(
      "response_format",
      `response_format "${body.response_format.type}" is not supported (plain text only)`,
      'omit response_format or use {"type": "text"}',
    );
  }
  if (body.logprobs) throw new ParamError("logprobs", "logprobs are not supported", "omit logprobs");
  return body.messages.map((m) => ({
    role: m.role === "developer" ? "system" : m.role,
    content: typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => p.text).join("\n"),
  }));
}

/** `stop` as a list (the engine's shape); undefined when absent. */
export function stopList(stop: ChatCompletionBody["stop"]): string[] | undefined {
  if (stop == null) return undefined;
  const list = (typeof stop === "string" ? [stop] : stop).filter((s) => s.length > 0);
  return list.length > 0 ? list : undefined;
}

/** The error a parameter the server does not support raises; `param` travels to the OpenAI error body. */
export class ParamError extends UserError {
  constructor(
    readonly param: string,
    message: string,
    fix: string,
  ) {
    super(message, { fix, code: "unsupported_parameter", status: 400 });
  }
}
