import { ErrorCode, isErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { ChatMessage, LoadedModelInfo } from "../inference/types.js";
import { sseData } from "./sse-data.js";

/** Result of one streamed chat completion, as the agent reported it. */
export interface StreamedReply {
  text: string;
  finishReason: string | null;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
}

/**
 * A small client of a running agent's HTTP API, for the CLI (`clawbox chat`, `clawbox models use`).
 * Every failure is a UserError: not running (connection refused) → how to start it; 401 → how to get
 * the token; other HTTP errors → the agent's own message.
 */
export class AgentClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
  ) {}

  /** True when an agent answers `/healthz` (with or without a model), false when nothing listens. */
  async reachable(timeoutMs = 2000): Promise<boolean> {
    try {
      await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
      return true;
    } catch {
      return false;
    }
  }

  /** `POST /admin/model`: switches the agent's model; resolves once it is loaded. */
  async useModel(ref: string): Promise<LoadedModelInfo> {
    const res = await this.request("/admin/model", { method: "POST", body: JSON.stringify({ model: ref }) });
    return ((await res.json()) as { model: LoadedModelInfo }).model;
  }

  /**
   * Streams one chat completion (`stream: true`) and calls `onText` with each content piece as it
   * arrives. `conversationId` goes in `X-Conversation-Id` so the agent keeps this chat's state.
   */
  async streamChat(
    messages: ChatMessage[],
    opts: {
      conversationId: string;
      onText: (text: string) => void;
      signal?: AbortSignal;
      maxTokens?: number;
    },
  ): Promise<StreamedReply> {
    const res = await this.request("/v1/chat/completions", {
      method: "POST",
      headers: { "x-conversation-id": opts.conversationId },
      body: JSON.stringify({
        messages,
        stream: true,
        stream_options: { include_usage: true },
        ...(opts.maxTokens ? { max_tokens: opts.maxTokens } : {}),
      }),
      signal: opts.signal,
    });
    const reply: StreamedReply = { text: "", finishReason: null, usage: null };
    for await (const data of sseData(res)) {
      if (data === "[DONE]") break;
      const event = JSON.parse(data) as {
        error?: { message: string; code?: unknown };
        choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
        usage?: StreamedReply["usage"];
      };
      if (event.error) {
        const code = isErrorCode(event.error.code) ? event.error.code : ErrorCode.AGENT_ERROR;
        throw new UserError(`the agent stopped the reply: ${event.error.message}`, { code });
      }
      const choice = event.choices?.[0];
      const piece = choice?.delta?.content;
      if (piece) {
        reply.text += piece;
        opts.onText(piece);
      }
      if (choice?.finish_reason) reply.finishReason = choice.finish_reason;
      if (event.usage) reply.usage = event.usage;
    }
    return reply;
  }

  private async request(
    path: string,
    init: RequestInit & { headers?: Record<string, string> },
  ): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        ...init,
        headers: {
          "content-type": "application/json",
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...init.headers,
        },
      });
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      throw new UserError(`the agent is not running at ${this.baseUrl}`, {
        code: ErrorCode.AGENT_DOWN,
        fix: "start it with `clawbox start` (or pass --url with the address it listens on)",
        cause: err,
      });
    }
    if (res.ok) return res;
    const body = (await res.json().catch(() => null)) as {
      error?: { message?: string; code?: unknown };
    } | null;
    const message = body?.error?.message ?? `HTTP ${res.status}`;
    if (res.status === 401) {
      throw new UserError(`the agent refused the API token: ${message}`, {
        code: ErrorCode.INVALID_API_KEY,
        status: 401,
        fix: "pass --data-dir of the running agent so its token is used",
      });
    }
    // One state, one code: the agent's own catalogue code (e.g. model_not_loaded) reaches the CLI unchanged.
    const code = isErrorCode(body?.error?.code) ? body.error.code : ErrorCode.AGENT_ERROR;
    throw new UserError(message, { code, status: res.status });
  }
}
