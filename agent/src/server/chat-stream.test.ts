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
import type { CompletionRequest, CompletionResult, InferenceService } from "../inference/types.js";
import { ConversationStore } from "../store/conversation-store.js";
import { openDatabase } from "../store/database.js";
import { generateApiToken } from "./api-token.js";
import { buildServer } from "./build-server.js";

/**
 * Test double of the engine for the SSE path only (test/api streams from the real engine): it sends the
 * last user message back one word per `onText`, `delayMs` apart, and stops when the signal aborts.
 */
function wordStream(delayMs: number) {
  const seen = { aborted: 0 };
  const complete = async (req: CompletionRequest): Promise<CompletionResult> => {
    const words = (req.messages.at(-1)?.content ?? "").split(" ");
    let text = "";
    for (const [i, w] of words.entries()) {
      if (req.signal?.aborted) {
        seen.aborted++;
        return { ...result(text, i), finishReason: "cancelled" };
      }
      const piece = i === 0 ? w : ` ${w}`;
      text += piece;
      req.onText?.(piece);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    }
    return result(text, words.length);
  };
  const service: InferenceService = {
    model: {
      id: "words",
      path: "/m/words.gguf",
      fileBytes: 1,
      contextSize: 256,
      threads: 1,
      gpuLayers: 0,
      chatTemplate: "echo",
      trainContextSize: 256,
      loadedAt: new Date().toISOString(),
    },
    load: async () => {
      throw new Error("not used");
    },
    complete,
    countTokens: (t) => t.split(" ").length,
    stats: () => ({ queueDepth: 0, activeRequests: 0, tokensGenerated: 0, lastTokensPerSecond: 0 }),
    close: async () => {},
  };
  return { service, seen };
}

function result(text: string, n: number): CompletionResult {
  return {
    text,
    promptTokens: 7,
    completionTokens: n,
    finishReason: "stop",
    timeToFirstTokenMs: 1,
    generationMs: 1,
  };
}

const token = generateApiToken();
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
let dir: string;
let db: Database;
let app: FastifyInstance;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-sse-"));
  db = openDatabase(dir);
});
afterEach(async () => {
  await app?.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function listen(service: InferenceService, corsOrigins?: string[]): Promise<string> {
  const config = defaultConfig();
  if (corsOrigins) config.server.corsOrigins = corsOrigins;
  app = buildServer({
    inference: service,
    store: new ConversationStore(db),
    token,
    logger: pino({ level: "silent" }),
    config,
  });
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

interface Chunk {
  id: string;
  object: string;
  choices: { delta: Record<string, string>; finish_reason: string | null }[];
  usage: unknown;
}

describe("SSE streaming over a real socket", () => {
  it("sends role, content pieces, finish_reason, usage, then [DONE]", async () => {
    const url = await listen(wordStream(0).service);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        messages: [{ role: "user", content: "once upon a time" }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    const events = parseSse(await res.text()) as Chunk[];
    expect(new Set(events.map((e) => e.object))).toEqual(new Set(["chat.completion.chunk"]));
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    expect(events[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "" });
    expect(events.map((e) => e.choices[0]?.delta.content ?? "").join("")).toBe("once upon a time");
    expect(events.filter((e) => e.choices[0]?.delta.content).length).toBe(4);
    const last = events.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({ prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 });
    expect(events.at(-2)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("answers errors before the first token with their HTTP status, not a 200 stream", async () => {
    const { service } = wordStream(0);
    service.complete = async () => {
      throw new UserError("the queue is full", { status: 503, code: "busy", fix: "retry later" });
    };
    const url = await listen(service);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ messages: [{ role: "user", content: "x" }], stream: true }),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      code: "busy",
      message: "the queue is full — fix: retry later",
    });
  });

  it("aborts generation when the client disconnects mid-stream, and serves the next request", async () => {
    const { service, seen } = wordStream(20);
    const url = await listen(service);
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`).join(" ");
    const controller = new AbortController();
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ messages: [{ role: "user", content: words }], stream: true }),
      signal: controller.signal,
    });
    await res.body?.getReader().read();
    controller.abort();
    await expect.poll(() => seen.aborted, { timeout: 5000 }).toBe(1);
    const next = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ messages: [{ role: "user", content: "still here" }] }),
    });
    const answer = (await next.json()) as { choices: { message: { content: string } }[] };
    expect(answer.choices[0]?.message.content).toBe("still here");
  });
});

describe("CORS", () => {
  it("answers preflights and streams for allowed origins only", async () => {
    const url = await listen(wordStream(0).service, ["http://clawbox.local"]);
    const preflight = (origin: string) =>
      fetch(`${url}/v1/chat/completions`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST" },
      });
    const ok = await preflight("http://clawbox.local");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://clawbox.local");
    expect(ok.headers.get("access-control-allow-headers")).toContain("authorization");
    const other = await preflight("http://evil.example");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();

    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...headers, origin: "http://clawbox.local" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    expect(res.headers.get("access-control-allow-origin")).toBe("http://clawbox.local");
    await res.text();
  });
});
