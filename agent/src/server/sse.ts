import type { ServerResponse } from "node:http";

/**
 * Server-sent events on a raw Node response (the fastify reply is hijacked first). Each event is written
 * with its own `res.write`, so it leaves at once (Node's HTTP server sets TCP_NODELAY; nothing buffers
 * in between). `X-Accel-Buffering: no` tells an nginx in front (fleet pooling) not to buffer either.
 */
export class SseStream {
  #open = false;

  constructor(private readonly res: ServerResponse) {}

  /** True once the head is written. */
  get started(): boolean {
    return this.#open;
  }

  /** True when the client went away (socket closed) or the stream was ended. */
  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Writes the 200 head with the event-stream headers plus `extraHeaders` (e.g. CORS set earlier). */
  start(extraHeaders: Record<string, string | number | string[] | undefined> = {}): void {
    if (this.#open) return;
    this.#open = true;
    const headers: Record<string, string | number | string[]> = {};
    for (const [k, v] of Object.entries(extraHeaders)) if (v !== undefined) headers[k] = v;
    this.res.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
  }

  /** Sends `data: <json>\n\n`. Ignored after the client disconnected. */
  send(data: unknown): void {
    if (!this.closed) this.res.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** Sends the OpenAI terminator `data: [DONE]` and ends the response. */
  done(): void {
    if (!this.closed) this.res.end("data: [DONE]\n\n");
  }

  /** Ends the response without the terminator (after an error event). */
  end(): void {
    if (!this.closed) this.res.end();
  }
}
