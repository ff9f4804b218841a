import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_THREADS, testModelKind, testModelPath } from "../support/test-model.js";
import { requireBuiltCli, runCli, type StartedAgent, startCli, startCliOnModel } from "./cli-process.js";

/**
 * The real agent process (`agent/dist/cli/main.js start`) with the real engine and the test model:
 * what a user does after `npm start`, over HTTP and through the CLI.
 */

interface ChatResponse {
  object: string;
  model: string;
  choices: { message: { role: string; content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

const english = testModelKind() === "shared";
let dataDir: string;
let modelPath: string;
let agent: StartedAgent;
let token: string;

function post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${agent.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

async function waitHealthy(url: string, want: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const status = await fetch(`${url}/healthz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === want) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url}/healthz never answered ${want}`);
}

beforeAll(async () => {
  requireBuiltCli();
  dataDir = mkdtempSync(join(tmpdir(), "clawbox-api-"));
  modelPath = await testModelPath();
  agent = await startCliOnModel(modelPath, dataDir, 512);
  await waitHealthy(agent.url, 200);
  const printed = await runCli(["token", "--data-dir", dataDir]);
  expect(printed.code).toBe(0);
  token = printed.stdout.trim();
});

afterAll(async () => {
  await agent?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("clawbox start", () => {
  it("prints one line with the real port, the model and how to get the token", () => {
    expect(agent.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(agent.url).not.toMatch(/:0$/);
    expect(agent.line).toContain("— model ");
    expect(agent.line).toContain(`clawbox token --data-dir ${dataDir}`);
    expect(token).toMatch(/^cbx_[A-Za-z0-9_-]{43}$/);
  });

  it("refuses requests without the token", async () => {
    const res = await fetch(`${agent.url}/v1/models`);
    expect(res.status).toBe(401);
  });
});

describe("chat completions on the real model", () => {
  it("continues a story", async () => {
    const res = await post("/v1/chat/completions", {
      model: "any",
      messages: [{ role: "user", content: "Once upon a time" }],
      max_tokens: 40,
      temperature: 0,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ChatResponse;
    expect(body.object).toBe("chat.completion");
    const text = body.choices[0]?.message.content ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    // The shared model is trained on TinyStories and writes English; the generated one writes noise.
    if (english) expect(text).toMatch(/\b(the|a|was|and|she|he|they|to)\b/i);
  });

  it("streams SSE chunks that end with [DONE]", async () => {
    const res = await post("/v1/chat/completions", {
      messages: [{ role: "user", content: "Once upon a time" }],
      max_tokens: 30,
      stream: true,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const raw = await res.text();
    expect(raw.endsWith("data: [DONE]\n\n")).toBe(true);
    const events = raw
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .map(
        (e) =>
          JSON.parse(e.slice(6)) as {
            choices: { delta: { content?: string }; finish_reason: string | null }[];
          },
      );
    expect(events.length).toBeGreaterThan(2);
    const text = events.map((e) => e.choices[0]?.delta.content ?? "").join("");
    expect(text.length).toBeGreaterThan(0);
    expect(["stop", "length"]).toContain(events.at(-1)?.choices[0]?.finish_reason);
  });

  it("survives a client that disconnects mid-stream", async () => {
    const controller = new AbortController();
    const res = await post(
      "/v1/chat/completions",
      { messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 400, stream: true },
      controller.signal,
    );
    const reader = res.body?.getReader();
    await reader?.read();
    controller.abort();
    const next = await post("/v1/chat/completions", {
      messages: [{ role: "user", content: "The little dog" }],
      max_tokens: 10,
    });
    expect(next.status).toBe(200);
    expect(((await next.json()) as ChatResponse).choices[0]?.message.content.length).toBeGreaterThan(0);
  });

  it("reports tokens in /metrics", async () => {
    const res = await fetch(`${agent.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    const m = /^clawbox_tokens_generated_total (\d+)$/m.exec(text);
    expect(Number(m?.[1])).toBeGreaterThan(0);
  });
});

describe("the CLI against the running agent", () => {
  it("chats through `clawbox chat` with streaming output", async () => {
    const run = await runCli(["chat", "--data-dir", dataDir], { input: "Once upon a time\n/exit\n" });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`chatting with the agent at ${agent.url}`);
    const reply = /assistant> (.*)/.exec(run.stdout)?.[1] ?? "";
    expect(reply.trim().length).toBeGreaterThan(0);
  });

  it("switches the model with `clawbox models use` without a restart", async () => {
    const copy = join(dataDir, "story-copy.gguf");
    copyFileSync(modelPath, copy);
    const run = await runCli(["models", "use", copy, "--data-dir", dataDir]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("now serving story-copy");
    const models = (await (
      await fetch(`${agent.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(["story-copy"]);
    const after = await post("/v1/chat/completions", {
      messages: [{ role: "user", content: "Once" }],
      max_tokens: 5,
    });
    expect(((await after.json()) as ChatResponse).model).toBe("story-copy");
  });

  it("says clearly when `models use` names a missing file", async () => {
    const run = await runCli(["models", "use", join(dataDir, "missing.gguf"), "--data-dir", dataDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("does not exist");
  });
});

describe("start without a model, and a busy port", () => {
  let second: StartedAgent | undefined;
  let secondDir: string;
  beforeAll(() => {
    secondDir = mkdtempSync(join(tmpdir(), "clawbox-api2-"));
  });
  afterAll(async () => {
    await second?.stop();
    rmSync(secondDir, { recursive: true, force: true });
  });

  it("starts anyway, says how to get a model, and /healthz answers 503", async () => {
    second = await startCli(["--port", "0", "--data-dir", secondDir, "--threads", "1"]);
    expect(second.line).toContain("no model loaded");
    expect(second.line).toContain("clawbox models pull");
    await waitHealthy(second.url, 503);
    expect(await (await fetch(`${second.url}/healthz`)).json()).toEqual({ status: "no-model" });
  });

  it("without --model, loads the model it finds in the store", async () => {
    const storeDir = mkdtempSync(join(tmpdir(), "clawbox-api3-"));
    mkdirSync(join(storeDir, "models"));
    copyFileSync(modelPath, join(storeDir, "models", "bedtime-stories.gguf"));
    const third = await startCli(["--port", "0", "--data-dir", storeDir, "--threads", String(TEST_THREADS)]);
    try {
      expect(third.line).toContain("model bedtime-stories");
      await waitHealthy(third.url, 200);
      expect(third.stderr()).toContain("no model configured: loading one from the store");
    } finally {
      await third.stop();
      rmSync(storeDir, { recursive: true, force: true });
    }
  });

  it("refuses a port in use with a fix", async () => {
    const port = new URL(agent.url).port;
    const run = await runCli(["start", "--port", port, "--data-dir", secondDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`port ${port} is in use`);
    expect(run.stderr).toContain("--port");
  });
});

describe("in-process chat", () => {
  it("loads the model itself when no agent answers", async () => {
    const run = await runCli(
      [
        "chat",
        "--url",
        "http://127.0.0.1:9",
        "--data-dir",
        dataDir,
        "--model",
        modelPath,
        "--threads",
        String(TEST_THREADS),
      ],
      { input: "Once upon a time\n/reset\nThe cat\n/exit\n", timeoutMs: 60_000 },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("no agent answers at http://127.0.0.1:9");
    expect(run.stdout).toMatch(/chatting with \S+ \(in this process, \d+ threads\)/);
    expect(run.stdout).toContain("(new conversation)");
    const replies = [...run.stdout.matchAll(/assistant> (.*)/g)].map((m) => m[1]?.trim() ?? "");
    expect(replies).toHaveLength(2);
    for (const r of replies) expect(r.length).toBeGreaterThan(0);
  });
});

describe("stopping", () => {
  it("finishes a stream in flight on SIGTERM, then exits 0", async () => {
    const res = await post("/v1/chat/completions", {
      messages: [{ role: "user", content: "Once upon a time" }],
      max_tokens: 200,
      stream: true,
    });
    const reader = res.body?.getReader();
    const first = await reader?.read();
    expect(first?.done).toBe(false);
    const stopped = agent.stop();
    let rest = "";
    const decoder = new TextDecoder();
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      rest += decoder.decode(chunk.value, { stream: true });
    }
    expect(rest.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(await stopped).toBe(0);
  });
});
