import { mkdtempSync, rmSync } from "node:fs";
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
 * "generates" the last user message back word by word (one word = one token), up to maxTokens.
 * Streaming over a real socket is tested in chat-stream.test.ts.
 */
class EchoInference implements InferenceService {
  model: LoadedModelInfo | null = null;
  requests: CompletionRequest[] = [];
  tokens = 0;
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
    const text = words.join(" ");
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

async function makeApp(opts: { load?: boolean } = {}): Promise<FastifyInstance> {
  inference = new EchoInference();
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
    ["empty messages", { messages: [] }, "messages must have at least 1 item", "messages"],
    [
      "bad role",
      { messages: [{ role: "robot", content: "x" }] },
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
      "temperature must be at most 2",
      "temperature",
    ],
    ["n=2", { messages: [{ role: "user", content: "x" }], n: 2 }, "one choice per request", "n"],
    [
      "5 stop sequences",
      { messages: [{ role: "user", content: "x" }], stop: ["a", "b", "c", "d", "e"] },
      "stop must have at most 4 items",
      "stop",
    ],
    [
      "tool without function",
      { messages: [{ role: "user", content: "x" }], tools: [{ type: "function" }] },
      "tools[0].function is missing (required)",
      "tools[0].function",
    ],
    [
      "tool result without its call",
      { messages: [{ role: "tool", tool_call_id: "call_1", content: "42" }] },
      "matches no earlier assistant tool call",
      "messages[0].tool_call_id",
    ],
    [
      "schema keyword a grammar cannot enforce",
      {
        messages: [{ role: "user", content: "x" }],
        response_format: {
          type: "json_schema",
          json_schema: { name: "n", schema: { type: "string", pattern: "^a+$" } },
        },
      },
      'uses "pattern", which the output grammar cannot enforce',
      null,
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
    const err = res.json().error;
    expect(err.type).toBe("invalid_request_error");
    expect(err.message).toContain("not valid JSON");
    expect(err.code).toBe("invalid_json");
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
    expect(text).toMatch(/^clawbox_prompt_tokens_total 7$/m);
    expect(text).toMatch(/^clawbox_system_memory_total_bytes [1-9]\d*$/m);
    expect(text).not.toMatch(/^clawbox_nodejs_active_handles_total /m);
  });

  it("counts every request with its status, rejected ones included", async () => {
    await makeApp();
    for (let i = 0; i < 15; i++) await chat({ messages: "not a list" });
    await chat({ messages: [{ role: "user", content: "hi" }] }, {});
    await chat({ messages: [{ role: "user", content: "hi" }] });
    await app.inject({ method: "GET", url: "/no/such/path" });
    const text = (await app.inject({ method: "GET", url: "/metrics", headers: auth })).body;
    const count = (route: string, status: number) =>
      new RegExp(
        `^clawbox_http_requests_total\\{method="POST",route="${route}",status="${status}"\\} (\\d+)$`,
        "m",
      ).exec(text)?.[1];
    expect(count("/v1/chat/completions", 400)).toBe("15");
    expect(count("/v1/chat/completions", 401)).toBe("1");
    expect(count("/v1/chat/completions", 200)).toBe("1");
    expect(text).toMatch(/^clawbox_http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
    expect(text).toMatch(
      /^clawbox_http_request_duration_seconds_count\{method="POST",route="\/v1\/chat\/completions"\} 17$/m,
    );
  });
});
