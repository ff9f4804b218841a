import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../config/load-config.js";
import { UserError } from "../errors.js";
import type {
  CompletionRequest,
  CompletionResult,
  InferenceService,
  InferenceStats,
  LoadedModelInfo,
  ModelLoadSpec,
} from "../inference/types.js";
import { ConversationStore } from "../store/conversation-store.js";
import { openDatabase } from "../store/database.js";
import { generateApiToken } from "./api-token.js";
import { buildServer } from "./build-server.js";

/**
 * Test double of the engine for the HTTP layer only (the real engine is exercised in test/api): it
 * "generates" the last user message back word by word, one word per `onText`, waiting `delayMs` between
 * words and honouring the AbortSignal, so streaming and disconnects can be observed.
 */
class EchoInference implements InferenceService {
  model: LoadedModelInfo | null = null;
  requests: CompletionRequest[] = [];
  aborted = 0;
  tokens = 0;
  constructor(private readonly delayMs = 0) {}
  async load(spec: ModelLoadSpec): Promise<LoadedModelInfo> {
    if (spec.path.endsWith("missing.gguf"))
      throw new UserError(`model file ${spec.path} not found`, { status: 404 });
    this.model = {
      id: spec.id,
      path: spec.path,
      fileBytes: 1,
      contextSize: spec.contextSize,
      threads: spec.threads,
      gpuLayers: 0,
      chatTemplate: "echo",
      trainContextSize: 512,
      loadedAt: new Date().toISOString(),
    };
    return this.model;
  }
  async complete(req: CompletionRequest): Promise<CompletionResult> {
    this.requests.push(req);
    const last = req.messages.at(-1)?.content ?? "";
    const words = last.split(" ").slice(0, req.maxTokens ?? 100);
    let text = "";
    for (const [i, w] of words.entries()) {
      if (req.signal?.aborted) {
        this.aborted++;
        return { ...this.result(text, i), finishReason: "cancelled" };
      }
      const piece = i === 0 ? w : ` ${w}`;
      text += piece;
      req.onText?.(piece);
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    }
    this.tokens += words.length;
    const length = last.split(" ").length > words.length;
    return { ...this.result(text, words.length), finishReason: length ? "length" : "stop" };
  }
  private result(text: string, n: number): CompletionResult {
    return {
      text,
      promptTokens: 7,
      completionTokens: n,
      finishReason: "stop",
      timeToFirstTokenMs: 3,
      generationMs: 10,
    };
  }
  countTokens(text: string): number {
    return text.split(" ").length;
  }
  stats(): InferenceStats {
    return { queueDepth: 0, activeRequests: 0, tokensGenerated: this.tokens, lastTokensPerSecond: 42 };
  }
  async close(): Promise<void> {}
}

const SPEC = { path: "/m/echo.gguf", id: "echo", contextSize: 256, threads: 2, gpuLayers: 0 };

let dir: string;
let db: Database;
let store: ConversationStore;
let inference: EchoInference;
let app: FastifyInstance;
const token = generateApiToken();
const auth = { authorization: `Bearer ${token}` };

async function makeApp(opts: { delayMs?: number; load?: boolean } = {}): Promise<FastifyInstance> {
  inference = new EchoInference(opts.delayMs ?? 0);
  if (opts.load !== false) await inference.load(SPEC);
  app = buildServer({
    inference,
    store,
    token,
    logger: pino({ level: "silent" }),
    config: defaultConfig(),
    resolveModel: async (ref) => ({ ...SPEC, id: ref.replace(/\.gguf$/, ""), path: `/m/${ref}` }),
  });
  return app;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-server-"));
  db = openDatabase(dir);
  store = new ConversationStore(db);
});
afterEach(async () => {
  await app?.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function chat(body: unknown, headers: Record<string, string> = auth) {
  return app.inject({ method: "POST", url: "/v1/chat/completions", headers, payload: body as object });
}

describe("auth", () => {
  it("answers 401 without a token, with the OpenAI error shape and how to get one", async () => {
    await makeApp();
    const res = await chat({ messages: [{ role: "user", content: "hi" }] }, {});
    expect(res.statusCode).toBe(401);
    const body = res.json();
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.code).toBe("invalid_api_key");
    expect(body.error.message).toContain("clawbox token");
  });

  it("answers 401 for a wrong token on every protected route", async () => {
    await makeApp();
    const wrong = { authorization: `Bearer ${generateApiToken()}` };
    for (const [method, url] of [
      ["POST", "/v1/chat/completions"],
      ["GET", "/v1/models"],
      ["GET", "/admin/status"],
      ["POST", "/admin/model"],
      ["GET", "/metrics"],
    ] as const) {
      const res = await app.inject({ method, url, headers: wrong });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it("leaves /healthz open", async () => {
    await makeApp();
    const res = await app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok", model: "echo" });
  });
});

describe("validation", () => {
  const cases: [string, unknown, string, string | null][] = [
    ["no messages", { model: "x" }, "messages is missing", "messages"],
    ["empty messages", { messages: [] }, "messages must NOT have fewer than 1 items", "messages"],
    [
      "bad role",
      { messages: [{ role: "tool", content: "x" }] },
      "messages[0].role must be one of",
      "messages[0].role",
    ],
    [
      "content number",
      { messages: [{ role: "user", content: 5 }] },
      "messages[0].content must be a string or array or null",
      "messages[0].content",
    ],
    [
      "image part",
      { messages: [{ role: "user", content: [{ type: "image_url", text: "" }] }] },
      "messages[0].content[0].type must be one of: text",
      "messages[0].content[0].type",
    ],
    [
      "stream string",
      { messages: [{ role: "user", content: "x" }], stream: "yes" },
      "stream must be a boolean or null",
      "stream",
    ],
    [
      "temperature",
      { messages: [{ role: "user", content: "x" }], temperature: 3 },
      "temperature must be <= 2",
      "temperature",
    ],
    ["n=2", { messages: [{ role: "user", content: "x" }], n: 2 }, "one choice per request", "n"],
    [
      "tools",
      { messages: [{ role: "user", content: "x" }], tools: [{ type: "function" }] },
      "tool calling is not supported",
      "tools",
    ],
  ];
  it.each(cases)("rejects %s with 400 naming the field", async (_name, body, message, param) => {
    await makeApp();
    const res = await chat(body);
    expect(res.statusCode).toBe(400);
    const err = res.json().error;
    expect(err.type).toBe("invalid_request_error");
    expect(err.message).toContain(message);
    expect(err.param).toBe(param);
  });

  it("rejects malformed JSON with 400 in the same shape", async () => {
    await makeApp();
    const res = await app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { ...auth, "content-type": "application/json" },
      payload: "{not json",
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.type).toBe("invalid_request_error");
  });

  it("tolerates unknown fields like OpenAI does", async () => {
    await makeApp();
    const res = await chat({
      messages: [{ role: "user", content: "a b" }],
      frequency_penalty: 0,
      metadata: {},
    });
    expect(res.statusCode).toBe(200);
  });

  it("answers unknown routes with an OpenAI-shaped 404", async () => {
    await makeApp();
    const res = await app.inject({ method: "GET", url: "/v1/nope", headers: auth });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toContain("GET /v1/nope");
  });
});

describe("chat completions", () => {
  it("answers in the OpenAI shape and passes the parameters on", async () => {
    await makeApp();
    const res = await chat({
      model: "whatever",
      messages: [
        { role: "developer", content: "be nice" },
        {
          role: "user",
          content: [
            { type: "text", text: "once upon" },
            { type: "text", text: "a time" },
          ],
        },
      ],
      max_tokens: 2,
      temperature: 0,
      top_p: 0.5,
      seed: 7,
      stop: "END",
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(body.object).toBe("chat.completion");
    expect(body.model).toBe("echo");
    expect(body.choices).toEqual([
      {
        index: 0,
        message: { role: "assistant", content: "once upon\na" },
        logprobs: null,
        finish_reason: "length",
      },
    ]);
    expect(body.usage).toEqual({ prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 });
    const req = inference.requests[0];
    expect(req?.messages[0]).toEqual({ role: "system", content: "be nice" });
    expect(req).toMatchObject({
      maxTokens: 2,
      temperature: 0,
      topP: 0.5,
      seed: 7,
      stop: ["END"],
      timeoutMs: 120000,
    });
  });

  it("uses max_tokens from the config when the request has none", async () => {
    await makeApp();
    await chat({ messages: [{ role: "user", content: "x" }] });
    expect(inference.requests[0]?.maxTokens).toBe(512);
  });

  it("keeps one conversation id per chat and stores the exchange", async () => {
    await makeApp();
    const first = [{ role: "user", content: "hello there" }];
    await chat({ messages: first });
    await chat({
      messages: [
        ...first,
        { role: "assistant", content: "hello there" },
        { role: "user", content: "more words" },
      ],
    });
    const [a, b] = inference.requests;
    expect(a?.conversationId).toMatch(/^h:[0-9a-f]{16}$/);
    expect(b?.conversationId).toBe(a?.conversationId);
    const stored = store.getMessages(a?.conversationId ?? "");
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ["user", "hello there"],
      ["assistant", "hello there"],
      ["user", "more words"],
      ["assistant", "more words"],
    ]);
    expect(stored[3]?.tokens).toBe(2);
  });

  it("takes the conversation id from X-Conversation-Id, then from user", async () => {
    await makeApp();
    await chat(
      { messages: [{ role: "user", content: "x" }], user: "alice" },
      { ...auth, "x-conversation-id": "c-1" },
    );
    await chat({ messages: [{ role: "user", content: "x" }], user: "alice" });
    expect(inference.requests.map((r) => r.conversationId)).toEqual(["c-1", "alice"]);
    expect(store.getConversation("c-1")?.source).toBe("api");
  });

  it("answers 503 with a fix when no model is loaded, and /healthz says no-model", async () => {
    await makeApp({ load: false });
    const res = await chat({ messages: [{ role: "user", content: "x" }] });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.type).toBe("server_error");
    expect(res.json().error.message).toContain("clawbox models use");
    const health = await app.inject({ method: "GET", url: "/healthz" });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toEqual({ status: "no-model" });
    expect((await app.inject({ method: "GET", url: "/v1/models", headers: auth })).json().data).toEqual([]);
  });

  it("hides internal errors behind a request id", async () => {
    await makeApp();
    inference.complete = async () => {
      throw new Error("secret internals at /home/x");
    };
    const res = await chat({ messages: [{ role: "user", content: "x" }] });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.message).toMatch(/^internal error \(request id [0-9a-f]{12}\)$/);
    expect(res.body).not.toContain("secret");
  });
});

describe("models, admin and metrics", () => {
  it("lists the loaded model", async () => {
    await makeApp();
    const body = (await app.inject({ method: "GET", url: "/v1/models", headers: auth })).json();
    expect(body.object).toBe("list");
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ id: "echo", object: "model", owned_by: "clawbox" });
  });

  it("switches the model through POST /admin/model and reports it in /admin/status", async () => {
    await makeApp();
    const res = await app.inject({
      method: "POST",
      url: "/admin/model",
      headers: auth,
      payload: { model: "other.gguf" },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().model.id).toBe("other");
    const status = (await app.inject({ method: "GET", url: "/admin/status", headers: auth })).json();
    expect(status.model.id).toBe("other");
    expect(status.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(status.stats.lastTokensPerSecond).toBe(42);
    const bad = await app.inject({
      method: "POST",
      url: "/admin/model",
      headers: auth,
      payload: { model: "missing.gguf" },
    });
    expect(bad.statusCode).toBe(404);
    expect(inference.model?.id).toBe("other");
  });

  it("exposes Prometheus metrics of this instance", async () => {
    await makeApp();
    await chat({ messages: [{ role: "user", content: "one two three" }] });
    const res = await app.inject({ method: "GET", url: "/metrics", headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/plain");
    const text = res.body;
    expect(text).toMatch(/^clawbox_tokens_generated_total 3$/m);
    expect(text).toMatch(/^clawbox_tokens_per_second 42$/m);
    expect(text).toMatch(/^clawbox_time_to_first_token_seconds_count 1$/m);
    expect(text).toMatch(/^clawbox_request_duration_seconds_count\{stream="false",status="200"\} 1$/m);
    expect(text).toMatch(/^clawbox_queue_depth 0$/m);
    expect(text).toMatch(/^clawbox_model_loaded\{model="echo"\} 1$/m);
    expect(text).toMatch(/^clawbox_process_resident_memory_bytes \d+/m);
  });
});

describe("streaming (real socket)", () => {
  async function listen(delayMs: number): Promise<string> {
    await makeApp({ delayMs });
    await app.listen({ host: "127.0.0.1", port: 0 });
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }

  function parseSse(text: string): unknown[] {
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    return text
      .split("\n\n")
      .filter((e) => e.startsWith("data: ") && e !== "data: [DONE]")
      .map((e) => JSON.parse(e.slice(6)));
  }

  it("sends role, content pieces, finish_reason, usage, then [DONE]", async () => {
    const url = await listen(0);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        messages: [{ role: "user", content: "once upon a time" }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    const events = parseSse(await res.text()) as {
      id: string;
      object: string;
      choices: { delta: Record<string, string>; finish_reason: string | null }[];
      usage: unknown;
    }[];
    expect(new Set(events.map((e) => e.object))).toEqual(new Set(["chat.completion.chunk"]));
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    expect(events[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "" });
    const text = events.map((e) => e.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("once upon a time");
    expect(events.filter((e) => e.choices[0]?.delta.content).length).toBe(4);
    const last = events.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({ prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 });
    expect(events.at(-2)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("answers errors before the first token with their HTTP status, not a 200 stream", async () => {
    const url = await listen(0);
    inference.complete = async () => {
      throw new UserError("the queue is full", { status: 503, code: "E_BUSY", fix: "retry later" });
    };
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "x" }], stream: true }),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      code: "E_BUSY",
      message: "the queue is full — fix: retry later",
    });
  });

  it("aborts generation when the client disconnects mid-stream, and serves the next request", async () => {
    const url = await listen(20);
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`).join(" ");
    const controller = new AbortController();
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: words }], stream: true }),
      signal: controller.signal,
    });
    const reader = res.body?.getReader();
    await reader?.read();
    controller.abort();
    await expect.poll(() => inference.aborted, { timeout: 5000 }).toBe(1);
    const next = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "still here" }] }),
    });
    const answer = (await next.json()) as { choices: { message: { content: string } }[] };
    expect(answer.choices[0]?.message.content).toBe("still here");
  });
});
