import type { RemoteBackendConfig } from "../config/backends-schema.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { sseData } from "../server/sse-data.js";
import { cancelledError, timeoutError } from "./fair-queue.js";
import type { CompletionRequest, CompletionResult, LoadedModelInfo } from "./types.js";

/** One streamed chunk of an OpenAI-compatible chat completion (the fields read here). */
interface ChunkEvent {
  error?: { message?: string } | string;
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

/**
 * A remote OpenAI-compatible model server (another clawbox, llama-server, Ollama) used like the local
 * engine: `complete()` sends `POST {url}/chat/completions` with `stream: true` through Node's fetch and hands
 * every content delta to `onText` as it arrives, so a stream from the remote is re-emitted as it comes.
 * The token goes only into the Authorization header; messages and logs name the backend and its URL
 * without credentials.
 */
export class RemoteBackend {
  readonly info: LoadedModelInfo;
  private readonly base: string;

  constructor(
    readonly name: string,
    private readonly config: RemoteBackendConfig,
  ) {
    this.base = config.url.replace(/\/+$/, "");
    this.info = {
      id: `remote:${name}`,
      path: publicUrl(this.base),
      fileBytes: 0,
      contextSize: 0,
      threads: 0,
      gpuLayers: 0,
      chatTemplate: "remote",
      trainContextSize: 0,
      loadedAt: new Date().toISOString(),
      remote: { name, url: publicUrl(this.base), model: config.model ?? null },
    };
  }

  /**
   * `GET {url}/models` with the token: proves the server answers and accepts the token before a switch.
   * Throws the same UserErrors as {@link complete} (`remote_unreachable`, `remote_auth`, `remote_failed`).
   * Timeout: 10 s (a LAN server answers its model list in milliseconds).
   */
  async probe(): Promise<void> {
    const res = await this.send("/models", { method: "GET", signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
  }

  /**
   * Runs one chat completion on the remote. Returns finishReason "cancelled" when `req.signal` aborted
   * (with the text so far). Throws UserError `timeout` (504) past `timeoutMs` (request's, else the backend's),
   * `remote_unreachable` (502) when nothing answers, `remote_auth` (502) when the token is refused,
   * `remote_failed` (502) for any other HTTP error or an error event in the stream.
   * Token counts are the remote's `usage` when it sends one, else the number of content deltas.
   */
  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const startedAt = performance.now();
    const timeoutMs = req.timeoutMs ?? this.config.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const body = {
      ...(this.config.model ? { model: this.config.model } : {}),
      messages: req.messages,
      stream: true,
      stream_options: { include_usage: true },
      ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.topP !== undefined ? { top_p: req.topP } : {}),
      ...(req.seed !== undefined ? { seed: req.seed } : {}),
      ...(req.stop && req.stop.length > 0 ? { stop: req.stop } : {}),
    };
    let text = "";
    let deltas = 0;
    let firstAt: number | undefined;
    let finish: string | null = null;
    let usage: ChunkEvent["usage"] = null;
    try {
      const res = await this.send("/chat/completions", {
        method: "POST",
        headers: { "x-conversation-id": req.conversationId },
        body: JSON.stringify(body),
        signal,
      });
      for await (const data of sseData(res)) {
        if (data === "[DONE]") break;
        const event = this.parseChunk(data);
        if (event.error) {
          const why = typeof event.error === "string" ? event.error : (event.error.message ?? "unknown");
          throw this.failed(`it stopped the reply with an error: ${why}`);
        }
        const choice = event.choices?.[0];
        const piece = choice?.delta?.content;
        if (piece) {
          firstAt ??= performance.now();
          deltas++;
          text += piece;
          req.onText?.(piece);
        }
        if (choice?.finish_reason) finish = choice.finish_reason;
        if (event.usage) usage = event.usage;
      }
    } catch (err) {
      if (req.signal?.aborted) return this.result(text, "cancelled", deltas, usage, startedAt, firstAt);
      if (timeout.aborted) throw timeoutError(timeoutMs);
      throw err;
    }
    return this.result(text, finish === "length" ? "length" : "stop", deltas, usage, startedAt, firstAt);
  }

  private result(
    text: string,
    finishReason: CompletionResult["finishReason"],
    deltas: number,
    usage: ChunkEvent["usage"],
    startedAt: number,
    firstAt: number | undefined,
  ): CompletionResult {
    const end = performance.now();
    return {
      text,
      promptTokens: usage?.prompt_tokens ?? 0,
      completionTokens: usage?.completion_tokens ?? deltas,
      finishReason,
      timeToFirstTokenMs: (firstAt ?? end) - startedAt,
      generationMs: end - (firstAt ?? end),
      modelId: this.info.id,
    };
  }

  /** fetch with the token; maps network failures and non-2xx answers to UserErrors naming this backend. */
  private async send(
    path: string,
    init: RequestInit & { headers?: Record<string, string> },
  ): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        ...init,
        headers: {
          "content-type": "application/json",
          ...(this.config.token ? { authorization: `Bearer ${this.config.token}` } : {}),
          ...init.headers,
        },
      });
    } catch (err) {
      if (init.signal?.aborted) throw init.signal.reason ?? cancelledError();
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new UserError(
        `remote backend "${this.name}" (${publicUrl(this.base)}) could not be reached: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
        {
          code: ErrorCode.REMOTE_UNREACHABLE,
          status: 502,
          fix: `start that server or correct backends.${this.name}.url in the config; \`clawbox models use <local model>\` switches back to this device`,
          cause: err,
        },
      );
    }
    if (res.ok) return res;
    const detail = await errorDetail(res);
    if (res.status === 401 || res.status === 403) {
      throw new UserError(
        `remote backend "${this.name}" (${publicUrl(this.base)}) refused the token: HTTP ${res.status} ${detail}`,
        {
          code: ErrorCode.REMOTE_AUTH,
          status: 502,
          fix: `set backends.${this.name}.token to that server's API token (on a clawbox: \`clawbox token\`)`,
        },
      );
    }
    throw this.failed(`HTTP ${res.status} ${detail}`);
  }

  private parseChunk(data: string): ChunkEvent {
    try {
      return JSON.parse(data) as ChunkEvent;
    } catch {
      throw this.failed(`it sent a stream event that is not JSON: ${data.slice(0, 100)}`);
    }
  }

  private failed(why: string): UserError {
    return new UserError(`remote backend "${this.name}" (${publicUrl(this.base)}) failed: ${why}`, {
      code: ErrorCode.REMOTE_FAILED,
      status: 502,
      fix: `check that server's own log; backends.${this.name}.model must name a model it serves`,
    });
  }
}

/** The URL without user:password (never shown or logged). */
function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/+$/, "");
  } catch {
    return url;
  }
}

async function errorDetail(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const msg = typeof body.error === "string" ? body.error : (body.error?.message ?? body.message);
    if (msg) return `(${msg.slice(0, 300)})`;
  } catch {
    // not JSON: show the start of the text
  }
  return text ? `(${text.slice(0, 300)})` : "";
}
