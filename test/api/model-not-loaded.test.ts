import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localBackend } from "../../agent/src/cli/chat.js";
import { defaultConfig } from "../../agent/src/config/load-config.js";
import { ErrorCode } from "../../agent/src/error-codes.js";
import { createInferenceService } from "../../agent/src/inference/engine.js";
import { AgentClient } from "../../agent/src/server/api-client.js";
import { readApiToken } from "../../agent/src/server/api-token.js";
import { requireBuiltCli, runCli, type StartedAgent, startCli } from "./cli-process.js";

/**
 * "No model is loaded" is one state with one code on every surface (error-codes.ts): the real agent's HTTP
 * API, the client the CLI talks to it with, the CLI's in-process backend and the engine the backend chain
 * falls back on all say `model_not_loaded`.
 */
let dataDir: string;
let agent: StartedAgent;
let token: string;

beforeAll(async () => {
  requireBuiltCli();
  dataDir = mkdtempSync(join(tmpdir(), "clawbox-nomodel-"));
  agent = await startCli(["--port", "0", "--data-dir", dataDir, "--threads", "1"]);
  const written = readApiToken(dataDir);
  if (!written) throw new Error(`clawbox start wrote no API token in ${dataDir}`);
  token = written;
});

afterAll(async () => {
  await agent?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("model_not_loaded, one code everywhere", () => {
  it("the HTTP API answers 503 with the catalogue code on both completion routes", async () => {
    for (const [path, body] of [
      ["/v1/chat/completions", { messages: [{ role: "user", content: "hi" }] }],
      ["/v1/completions", { prompt: "hi" }],
    ] as const) {
      const res = await fetch(`${agent.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status, path).toBe(503);
      const error = ((await res.json()) as { error: { code: string; type: string } }).error;
      expect(error.code, path).toBe(ErrorCode.MODEL_NOT_LOADED);
      expect(error.type, path).toBe("server_error");
    }
  });

  it("the CLI's client of a running agent raises the agent's code, and `clawbox chat` shows the fix", async () => {
    const client = new AgentClient(agent.url, token);
    await expect(
      client.streamChat([{ role: "user", content: "hi" }], { conversationId: "c", onText: () => {} }),
    ).rejects.toMatchObject({ name: "UserError", code: ErrorCode.MODEL_NOT_LOADED, status: 503 });

    const run = await runCli(["chat", "--url", agent.url, "--data-dir", dataDir], { input: "hi\n/exit\n" });
    expect(run.stdout).toContain("(error: no model is loaded");
    expect(run.stdout).toContain("load one with `clawbox models use");
  });

  it("`clawbox chat` without an agent and without a model raises the same code", async () => {
    const config = defaultConfig();
    config.dataDir = dataDir;
    config.model = undefined;
    await expect(localBackend(config)).rejects.toMatchObject({
      name: "UserError",
      code: ErrorCode.MODEL_NOT_LOADED,
    });
  });

  it("the engine (what the backend chain falls back on) raises the same code", async () => {
    const engine = createInferenceService();
    try {
      const request = { conversationId: "c", messages: [{ role: "user" as const, content: "hi" }] };
      await expect(engine.complete(request)).rejects.toMatchObject({
        name: "UserError",
        code: ErrorCode.MODEL_NOT_LOADED,
        status: 503,
      });
    } finally {
      await engine.close();
    }
  });
});
