import { randomUUID } from "node:crypto";
import type { FastifyPluginAsync } from "fastify";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import type { CompletionResult } from "../../inference/types.js";
import { checkMaxTokens, SAMPLING_SCHEMA, stopList, toSampling } from "../chat-request.js";
import { toErrorResponse } from "../error-handler.js";
import type { ServerMetrics } from "../metrics.js";
import { ParamError } from "../param-error.js";
import { SseStream } from "../sse.js";
import type { ServerDeps } from "../types.js";
import { noModelError } from "./chat-completions.js";

/** Tokens generated when a legacy completion request gives no max_tokens (OpenAI's documented default, 16). */
const DEFAULT_MAX_TOKENS = 16;

interface CompletionBody {
  model?: string;
  prompt: string | string[];
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  echo?: boolean | null;
  suffix?: string | null;
  best_of?: number | null;
  logprobs?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  user?: string;
}

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, "null"], ...extra });

/** Body schema; ranges as the OpenAI API reference (temperature 0–2, top_p 0–1, at most 4 stop sequences). */
const COMPLETION_SCHEMA = {
  type: "object",
  required: ["prompt"],
  properties: {
    model: { type: "string" },
    prompt: {
      anyOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1, maxItems: 1 }],
    },
    max_tokens: nullable("integer", { minimum: 1 }),
    temperature: nullable("number", { minimum: 0, maximum: 2 }),
    top_p: nullable("number", { minimum: 0, maximum: 1 }),
    seed: nullable("integer"),
    stop: {
      anyOf: [
        { type: "string" },
        { type: "array", items: { type: "string" }, maxItems: 4 },
        { type: "null" },
      ],
    },
    n: nullable("integer", { minimum: 1 }),
    stream: nullable("boolean"),
    stream_options: nullable("object", { properties: { include_usage: nullable("boolean") } }),
    echo: nullable("boolean"),
    suffix: nullable("string"),
    best_of: nullable("integer", { minimum: 1 }),
    logprobs: nullable("integer"),
    ...SAMPLING_SCHEMA,
    user: { type: "string", maxLength: 256 },
  },
} as const;

/**
 * `POST /v1/completions`, OpenAI's legacy text completion: the prompt (a string, or an array of one) is
 * continued without a chat template; `stream: true` answers with `text_completion` SSE chunks and [DONE].
 * One choice per request; echo, suffix, best_of > 1 and logprobs are refused with 400 (param named).
 * Legacy completions are not stored as conversations (they have none). A backend without completeText
 * answers 501.
 */
export const completionsRoutes: FastifyPluginAsync<{
  deps: Pick<ServerDeps, "config" | "inference">;
  metrics: ServerMetrics;
}> = async (app, { deps, metrics }) => {
  app.post<{ Body: CompletionBody }>(
    "/v1/completions",
    { schema: { body: COMPLETION_SCHEMA } },
    async (request, reply) => {
      const body = request.body;
      refuseUnsupported(body);
      const loaded = deps.inference.model;
      if (!loaded) throw noModelError();
      checkMaxTokens(body.max_tokens, "max_tokens", loaded);
      if (!deps.inference.completeText) {
        throw new UserError("this backend does not do legacy text completions", {
          status: 501,
          code: ErrorCode.NOT_IMPLEMENTED,
          fix: "use POST /v1/chat/completions",
        });
      }
      const stream = body.stream === true;
      const id = `cmpl-${randomUUID().replaceAll("-", "")}`;
      const created = Math.floor(Date.now() / 1000);
      const startedAt = performance.now();
      const abort = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) abort.abort();
      };
      reply.raw.on("close", onClose);
      const choice = (text: string, finishReason: string | null) => ({
        id,
        object: "text_completion",
        created,
        model: loaded.id,
        choices: [{ text, index: 0, logprobs: null, finish_reason: finishReason }],
      });
      const sse = new SseStream(reply.raw);
      const begin = () => {
        if (sse.started) return;
        reply.hijack();
        sse.start(reply.getHeaders());
      };
      const sampling = toSampling(body);
      try {
        const result = await deps.inference.completeText({
          conversationId: `completion-${id}`,
          prompt: typeof body.prompt === "string" ? body.prompt : (body.prompt[0] as string),
          maxTokens: body.max_tokens ?? DEFAULT_MAX_TOKENS,
          ...(body.temperature != null ? { temperature: body.temperature } : {}),
          ...(body.top_p != null ? { topP: body.top_p } : {}),
          ...(body.seed != null ? { seed: body.seed } : {}),
          ...(stopList(body.stop) ? { stop: stopList(body.stop) } : {}),
          ...(sampling ? { sampling } : {}),
          signal: abort.signal,
          timeoutMs: deps.config.inference.requestTimeoutMs,
          ...(stream
            ? {
                onText: (text: string) => {
                  begin();
                  sse.send(choice(text, null));
                },
              }
            : {}),
        });
        if (abort.signal.aborted) {
          // the client went away: nothing can be sent; counted as nginx's 499 "client closed request"
          metrics.observeFailure(499, performance.now() - startedAt, stream);
          if (!reply.sent) reply.hijack();
          if (!reply.raw.writableEnded) reply.raw.end();
          return reply;
        }
        const finishReason = finishOf(result);
        metrics.observeCompletion(result, performance.now() - startedAt, stream);
        const usage = {
          prompt_tokens: result.promptTokens,
          completion_tokens: result.completionTokens,
          total_tokens: result.promptTokens + result.completionTokens,
        };
        if (!stream) return { ...choice(result.text, finishReason), usage };
        begin();
        sse.send(choice("", finishReason));
        if (body.stream_options?.include_usage) sse.send({ ...choice("", null), choices: [], usage });
        sse.done();
        return reply;
      } catch (err) {
        const { status, body: errorBody } = toErrorResponse(err, request);
        metrics.observeFailure(status, performance.now() - startedAt, stream);
        if (!sse.started) throw err;
        sse.send(errorBody);
        sse.end();
        return reply;
      } finally {
        reply.raw.off("close", onClose);
      }
    },
  );
};

function refuseUnsupported(body: CompletionBody): void {
  if (body.n != null && body.n !== 1) {
    throw new ParamError(
      "n",
      `n=${body.n}: this server generates one choice per request`,
      "send n=1 or omit n",
    );
  }
  if (body.best_of != null && body.best_of !== 1) {
    throw new ParamError("best_of", `best_of=${body.best_of} is not supported`, "omit best_of");
  }
  if (body.echo)
    throw new ParamError("echo", "echo is not supported", "omit echo; the prompt is yours already");
  if (body.suffix)
    throw new ParamError("suffix", "suffix (fill-in-the-middle) is not supported", "omit suffix");
  if (body.logprobs != null) throw new ParamError("logprobs", "logprobs are not supported", "omit logprobs");
}

/** OpenAI's finish_reason; a cancellation (the agent stopping or switching models) is a 503. */
function finishOf(result: CompletionResult): "stop" | "length" {
  if (result.finishReason === "cancelled") {
    throw new UserError("the generation was cancelled (the agent is stopping or switching models)", {
      status: 503,
      code: ErrorCode.CANCELLED,
      fix: "send the request again",
    });
  }
  return result.finishReason === "length" ? "length" : "stop";
}
