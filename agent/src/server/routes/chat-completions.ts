import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { assertToolCapable } from "../../inference/tool-calls.js";
import type { ChatMessage, CompletionRequest, CompletionResult } from "../../inference/types.js";
import {
  CHAT_COMPLETION_SCHEMA,
  type ChatCompletionBody,
  checkMaxTokens,
  ParamError,
  stopList,
  toChatMessages,
  toResponseFormat,
  toSampling,
} from "../chat-request.js";
import { conversationIdFor } from "../conversation-id.js";
import { toErrorResponse } from "../error-handler.js";
import type { ServerMetrics } from "../metrics.js";
import { toOpenAiToolCalls, toToolsRequest } from "../openai-tools.js";
import { SseStream } from "../sse.js";
import { ToolCallStreamer } from "../tool-call-stream.js";
import type { ServerDeps } from "../types.js";

export interface ChatRouteOptions {
  deps: ServerDeps;
  metrics: ServerMetrics;
}

/** What one request needs after parsing, shared by the plain and the streaming path. */
interface Exchange {
  id: string;
  created: number;
  model: string;
  conversationId: string;
  messages: ChatMessage[];
  request: CompletionRequest;
  abort: AbortController;
  startedAt: number;
}

/**
 * `POST /v1/chat/completions`, OpenAI-compatible. The body is validated by CHAT_COMPLETION_SCHEMA;
 * `stream: true` answers with SSE chunks (role, content pieces, finish_reason, optional usage, [DONE]).
 * A client that disconnects aborts its generation (AbortSignal to the engine). Each finished exchange is
 * stored in SQLite under its conversation id (see conversationIdFor).
 */
export const chatCompletionsRoutes: FastifyPluginAsync<ChatRouteOptions> = async (app, { deps, metrics }) => {
  app.post<{ Body: ChatCompletionBody }>(
    "/v1/chat/completions",
    { schema: { body: CHAT_COMPLETION_SCHEMA } },
    async (request, reply) => {
      const body = request.body;
      const stream = body.stream === true;
      const loaded = deps.inference.model;
      if (!loaded) throw noModelError();
      const messages = toChatMessages(body);
      const tools = toToolsRequest(body.tools, body.tool_choice, body.parallel_tool_calls);
      const responseFormat = toResponseFormat(body.response_format);
      if (tools) assertToolCapable(loaded);
      if (tools && responseFormat) {
        throw new ParamError(
          "response_format",
          "response_format json_object/json_schema cannot be combined with tools (one grammar per reply)",
          'omit response_format, or send tool_choice "none"',
        );
      }
      const sampling = toSampling(body);
      checkMaxTokens(body.max_tokens, "max_tokens", loaded);
      checkMaxTokens(body.max_completion_tokens, "max_completion_tokens", loaded);
      const conversationId = conversationIdFor(messages, {
        header: request.headers["x-conversation-id"],
        user: body.user,
      });
      const abort = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) abort.abort();
      };
      reply.raw.on("close", onClose);
      const ex: Exchange = {
        id: `chatcmpl-${randomUUID().replaceAll("-", "")}`,
        created: Math.floor(Date.now() / 1000),
        model: loaded.id,
        conversationId,
        messages,
        abort,
        startedAt: performance.now(),
        request: {
          conversationId,
          messages,
          maxTokens: body.max_completion_tokens ?? body.max_tokens ?? deps.config.inference.maxTokensDefault,
          temperature: body.temperature ?? undefined,
          topP: body.top_p ?? undefined,
          seed: body.seed ?? undefined,
          stop: stopList(body.stop),
          ...(tools ? { tools } : {}),
          ...(responseFormat ? { responseFormat } : {}),
          ...(sampling ? { sampling } : {}),
          signal: abort.signal,
          timeoutMs: deps.config.inference.requestTimeoutMs,
        },
      };
      try {
        if (stream) return await streamCompletion(ex, body, request, reply, deps, metrics);
        return await plainCompletion(ex, reply, deps, metrics, request);
      } catch (err) {
        metrics.observeFailure(
          toErrorResponse(err, request).status,
          performance.now() - ex.startedAt,
          stream,
        );
        throw err;
      } finally {
        reply.raw.off("close", onClose);
      }
    },
  );
};

async function plainCompletion(
  ex: Exchange,
  reply: FastifyReply,
  deps: ServerDeps,
  metrics: ServerMetrics,
  request: FastifyRequest,
) {
  const result = await runCompletion(ex, deps);
  if (ex.abort.signal.aborted) return clientGone(ex, reply, metrics, false);
  finish(ex, result, deps, metrics, request, false, reply.raw);
  return {
    id: ex.id,
    object: "chat.completion",
    created: ex.created,
    model: ex.model,
    choices: [
      {
        index: 0,
        message: result.toolCalls
          ? {
              role: "assistant",
              content: result.text || null,
              tool_calls: toOpenAiToolCalls(result.toolCalls),
            }
          : { role: "assistant", content: result.text },
        logprobs: null,
        finish_reason: result.finishReason,
      },
    ],
    usage: usageOf(result),
  };
}

async function streamCompletion(
  ex: Exchange,
  body: ChatCompletionBody,
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ServerDeps,
  metrics: ServerMetrics,
) {
  const includeUsage = body.stream_options?.include_usage === true;
  const sse = new SseStream(reply.raw);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) => ({
    id: ex.id,
    object: "chat.completion.chunk",
    created: ex.created,
    model: ex.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  // The head goes out with the first token, so errors before it (busy, timeout in the queue) still get
  // their real HTTP status instead of a 200 stream carrying an error event.
  const begin = () => {
    if (sse.started) return;
    reply.hijack();
    sse.start(reply.getHeaders());
    sse.send(chunk({ role: "assistant", content: "" }, null));
  };
  ex.request.onText = (text) => {
    begin();
    sse.send(chunk({ content: text }, null));
  };
  if (ex.request.tools) {
    const calls = new ToolCallStreamer((delta) => {
      begin();
      sse.send(chunk({ tool_calls: [delta] }, null));
    });
    ex.request.onToolCallChunk = (piece) => calls.push(piece);
  }

  let result: CompletionResult;
  try {
    result = await runCompletion(ex, deps);
  } catch (err) {
    if (!sse.started || ex.abort.signal.aborted) throw err;
    const { status, body: errorBody } = toErrorResponse(err, request);
    metrics.observeFailure(status, performance.now() - ex.startedAt, true);
    sse.send(errorBody);
    sse.end();
    return reply;
  }
  if (ex.abort.signal.aborted) return clientGone(ex, reply, metrics, true);
  begin();
  sse.send(chunk({}, result.finishReason));
  if (includeUsage) sse.send({ ...chunk({}, null), choices: [], usage: usageOf(result) });
  finish(ex, result, deps, metrics, request, true, reply.raw);
  sse.done();
  return reply;
}

/** Runs the engine; a cancellation the client did not cause (shutdown, model switch) becomes a 503. */
async function runCompletion(
  ex: Exchange,
  deps: ServerDeps,
): Promise<CompletionResult & { finishReason: "stop" | "length" | "tool_calls" }> {
  let result: CompletionResult;
  try {
    result = await deps.inference.complete(ex.request);
  } catch (err) {
    if (ex.abort.signal.aborted) return { ...emptyResult(), finishReason: "stop" };
    throw err;
  }
  if (result.finishReason === "cancelled") {
    if (ex.abort.signal.aborted) return { ...result, finishReason: "stop" };
    throw new UserError("the generation was cancelled (the agent is stopping or switching models)", {
      status: 503,
      code: ErrorCode.CANCELLED,
      fix: "send the request again",
    });
  }
  return result as CompletionResult & { finishReason: "stop" | "length" | "tool_calls" };
}

function emptyResult(): CompletionResult {
  return {
    text: "",
    promptTokens: 0,
    completionTokens: 0,
    finishReason: "cancelled",
    timeToFirstTokenMs: 0,
    generationMs: 0,
  };
}

/** The client disconnected: nothing can be sent; count it (499, nginx's "client closed request"). */
function clientGone(ex: Exchange, reply: FastifyReply, metrics: ServerMetrics, stream: boolean) {
  metrics.observeFailure(499, performance.now() - ex.startedAt, stream);
  reply.log.info({ conversationId: ex.conversationId }, "client disconnected; generation stopped");
  if (!reply.sent) reply.hijack();
  if (!reply.raw.writableEnded) reply.raw.end();
  return reply;
}

/**
 * Counts the completion, then logs it and stores the exchange once the response has left (see
 * afterResponse): the SQLite transaction and the log line (~0.7 ms per request in a CPU profile of the agent
 * on the 2-core dev VM) no longer delay the client's last byte.
 */
function finish(
  ex: Exchange,
  result: CompletionResult,
  deps: ServerDeps,
  metrics: ServerMetrics,
  request: FastifyRequest,
  stream: boolean,
  res: ServerResponse,
): void {
  const durationMs = performance.now() - ex.startedAt;
  metrics.observeCompletion(result, durationMs, stream);
  afterResponse(res, () => {
    request.log.info(
      {
        conversationId: ex.conversationId,
        promptTokens: result.promptTokens,
        completionTokens: result.completionTokens,
        timeToFirstTokenMs: Math.round(result.timeToFirstTokenMs),
        durationMs: Math.round(durationMs),
        stream,
      },
      "chat completion",
    );
    try {
      storeExchange(ex, result, deps);
    } catch (err) {
      request.log.error({ err, conversationId: ex.conversationId }, "could not store the exchange");
    }
  });
}

/**
 * Runs `fn` once, when `res` has finished (its last bytes are handed to the OS) or closed, whichever comes
 * first; on the next turn of the event loop when that already happened. Node emits "finish" before it reads
 * the client's next request on the connection, so a client that sends its next turn after this reply still
 * finds this exchange stored.
 */
function afterResponse(res: ServerResponse, fn: () => void): void {
  if (res.writableFinished || res.destroyed) {
    setImmediate(fn);
    return;
  }
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    res.off("finish", run);
    res.off("close", run);
    fn();
  };
  res.once("finish", run);
  res.once("close", run);
}

/**
 * Files the exchange: a new conversation gets every message of the request (it may carry earlier turns
 * or a system prompt); a known one gets the request's last message. Then the reply with its token count.
 */
function storeExchange(ex: Exchange, result: CompletionResult, deps: ServerDeps): void {
  const firstUser = ex.messages.find((m) => m.role === "user");
  const { created } = deps.store.ensureConversation({
    id: ex.conversationId,
    source: "api",
    title: firstUser ? firstUser.content.slice(0, 80) : null,
  });
  const incoming = created ? ex.messages : ex.messages.slice(-1);
  deps.store.appendMessages(ex.conversationId, [
    ...incoming,
    { role: "assistant", content: result.text, tokens: result.completionTokens },
  ]);
}

function usageOf(r: CompletionResult) {
  return {
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    total_tokens: r.promptTokens + r.completionTokens,
  };
}

/** 503 when no model is loaded, telling how to load one. */
export function noModelError(): UserError {
  return new UserError("no model is loaded", {
    status: 503,
    code: ErrorCode.MODEL_NOT_LOADED,
    fix: "load one with `clawbox models use <id|file.gguf>` (see `clawbox models list` and `clawbox recommend`)",
  });
}
