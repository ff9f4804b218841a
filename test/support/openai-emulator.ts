import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the emulator received. */
export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/** A running emulator; `requests` grows with every request received, whatever its path. */
export interface OpenAiEmulator {
  /** Base URL of the API, e.g. http://127.0.0.1:PORT/v1. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A small OpenAI-compatible chat server on 127.0.0.1 that records every request, shaped as the OpenAI API
 * reference documents it (and as llama-server and Ollama answer): `GET /v1/models` → a model list,
 * `POST /v1/chat/completions` with `stream: true` → SSE `chat.completion.chunk` events with the
 * `reply` words as content deltas, a finish_reason chunk, a usage chunk when `stream_options.include_usage`,
 * then `data: [DONE]`; without `stream` one `chat.completion` object. A wrong bearer token (when `token` is
 * set) gets 401 with an OpenAI error body.
 */
export async function startOpenAiEmulator(
  opts: { token?: string; reply?: string[] } = {},
): Promise<OpenAiEmulator> {
  const reply = opts.reply ?? ["Hello", " from", " the", " remote"];
  const requests: RecordedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readJson(req);
    requests.push({
      method: req.method ?? "",
      path: req.url ?? "",
      authorization: req.headers.authorization,
      body,
    });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    };
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
      send(401, { error: { message: "Incorrect API key provided", type: "invalid_request_error" } });
      return;
    }
    if (req.method === "GET" && req.url === "/v1/models") {
      send(200, { object: "list", data: [{ id: "emulated", object: "model", owned_by: "test" }] });
      return;
    }
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      send(404, { error: { message: `no route ${req.method} ${req.url}` } });
      return;
    }
    const b = body as { stream?: boolean; stream_options?: { include_usage?: boolean }; model?: string };
    const base = { id: "chatcmpl-emu", created: 0, model: b.model ?? "emulated" };
    const usage = { prompt_tokens: 7, completion_tokens: reply.length, total_tokens: 7 + reply.length };
    if (!b.stream) {
      send(200, {
        ...base,
        object: "chat.completion",
        choices: [
          { index: 0, message: { role: "assistant", content: reply.join("") }, finish_reason: "stop" },
        ],
        usage,
      });
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    const event = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: Record<string, string>, finish: string | null) => ({
      ...base,
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    event(chunk({ role: "assistant", content: "" }, null));
    for (const word of reply) event(chunk({ content: word }, null));
    event(chunk({}, "stop"));
    if (b.stream_options?.include_usage) event({ ...chunk({}, null), choices: [], usage });
    res.end("data: [DONE]\n\n");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const part of req) text += part;
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
