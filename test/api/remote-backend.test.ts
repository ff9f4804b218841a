import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_THREADS, testModelPath } from "../support/test-model.js";
import { requireBuiltCli, runCli, type StartedAgent, startCli } from "./cli-process.js";

/**
 * Two real agents (`clawbox start` processes): B serves the test model; A, a Pi-class front device with no
 * model, answers through B as its remote backend. Then B is killed. A third agent C has the same backend
 * configured but keeps the default routing.localOnly and must never use it.
 */

interface Agent {
  agent: StartedAgent;
  dataDir: string;
  token: string;
}

const dirs: string[] = [];
let b: Agent;
let a: Agent;
let c: Agent;

async function start(args: string[], config?: string): Promise<Agent> {
  const dataDir = mkdtempSync(join(tmpdir(), "clawbox-remote-"));
  dirs.push(dataDir);
  const extra: string[] = [];
  if (config !== undefined) {
    const file = join(dataDir, "config.yaml");
    writeFileSync(file, config, { mode: 0o600 });
    extra.push("--config", file);
  }
  const agent = await startCli([...args, ...extra, "--port", "0", "--data-dir", dataDir]);
  const printed = await runCli(["token", "--data-dir", dataDir]);
  return { agent, dataDir, token: printed.stdout.trim() };
}

function chat(to: Agent, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${to.agent.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${to.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      messages: [{ role: "user", content: "Once upon a time" }],
      max_tokens: 24,
      temperature: 0,
      ...body,
    }),
  });
}

async function conversations(of: Agent): Promise<number> {
  const res = await fetch(`${of.agent.url}/admin/status`, {
    headers: { authorization: `Bearer ${of.token}` },
  });
  return ((await res.json()) as { conversations: number }).conversations;
}

function backendConfig(routing: string): string {
  return [
    "backends:",
    "  big-box:",
    `    url: ${b.agent.url}/v1`,
    `    token: ${b.token}`,
    "    model: test-model",
    routing,
  ].join("\n");
}

beforeAll(async () => {
  requireBuiltCli();
  b = await start([
    "--model",
    await testModelPath(),
    "--threads",
    String(TEST_THREADS),
    "--context-size",
    "512",
  ]);
  a = await start([], backendConfig('routing:\n  localOnly: false\n  fallback: ["local", "remote:big-box"]'));
  c = await start([], backendConfig(""));
}, 180_000);

afterAll(async () => {
  await Promise.all([a?.agent.stop(), b?.agent.stop(), c?.agent.stop()]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("agent A without a model answers through agent B", () => {
  it("gives B's own answer (greedy), non-stream", async () => {
    const direct = (await (await chat(b, {})).json()) as { choices: { message: { content: string } }[] };
    const res = await chat(a, {});
    expect(res.status).toBe(200);
    const through = (await res.json()) as {
      model: string;
      choices: { message: { content: string } }[];
      usage: { completion_tokens: number };
    };
    expect(through.model).toBe("remote:big-box");
    expect(through.choices[0]?.message.content).toBe(direct.choices[0]?.message.content);
    expect(through.choices[0]?.message.content.length).toBeGreaterThan(0);
    expect(through.usage.completion_tokens).toBeGreaterThan(0);
  });

  it("re-emits B's stream as SSE chunks", async () => {
    const res = await chat(a, { stream: true });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = (await res.text())
      .split("\n\n")
      .filter((e) => e.startsWith("data: "))
      .map((e) => e.slice(6));
    expect(events.at(-1)).toBe("[DONE]");
    const pieces = events
      .slice(0, -1)
      .map((e) => JSON.parse(e) as { choices: { delta: { content?: string } }[] })
      .map((e) => e.choices[0]?.delta.content ?? "")
      .filter((t) => t !== "");
    expect(pieces.length).toBeGreaterThan(1);
    const direct = (await (await chat(b, {})).json()) as { choices: { message: { content: string } }[] };
    expect(pieces.join("")).toBe(direct.choices[0]?.message.content);
  });

  it("switches with `clawbox models use remote:big-box`", async () => {
    const out = await runCli([
      "models",
      "use",
      "remote:big-box",
      "--url",
      a.agent.url,
      "--data-dir",
      a.dataDir,
    ]);
    expect(out.stderr).toBe("");
    expect(out.stdout).toContain(
      `now answering through remote:big-box (${b.agent.url}/v1, model test-model)`,
    );
  });
});

describe("agent C keeps routing.localOnly (the default)", () => {
  it("refuses to use B: the switch is refused, chats get 503, B records no conversation from C", async () => {
    const before = await conversations(b);
    const out = await runCli([
      "models",
      "use",
      "remote:big-box",
      "--url",
      c.agent.url,
      "--data-dir",
      c.dataDir,
    ]);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain("routing.localOnly is on");
    expect(out.stderr).toContain("localOnly: false");
    const res = await chat(c, {});
    expect(res.status).toBe(503);
    expect(await conversations(b)).toBe(before);
  });
});

describe("B is killed", () => {
  it("A answers with a clear error naming each backend and the fix", async () => {
    await b.agent.stop();
    const res = await chat(a, {});
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(
      /no backend could answer: remote:big-box: remote backend "big-box" \(http:\/\/127\.0\.0\.1:\d+\/v1\) could not be reached: ECONNREFUSED; local: No model is loaded yet\./,
    );
    expect(JSON.stringify(body)).not.toContain(b.token);
    expect(JSON.stringify(body)).not.toContain("    at ");
  });
});
