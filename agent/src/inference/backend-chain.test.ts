import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type OpenAiEmulator, startOpenAiEmulator } from "../../../test/support/openai-emulator.js";
import { generatedTestSpec } from "../../../test/support/test-model.js";
import type { RemoteBackendConfig, RoutingConfig } from "../config/backends-schema.js";
import { UserError } from "../errors.js";
import { createBackendChain, remoteLoadSpec } from "./backend-chain.js";
import { createInferenceService } from "./engine.js";
import type { CompletionRequest, InferenceService } from "./types.js";

const TOKEN = "remote-secret-token";
let llama: Llama;
let emulator: OpenAiEmulator;
let local: InferenceService;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 0 });
});
afterAll(async () => {
  await llama?.dispose();
});
beforeEach(async () => {
  emulator = await startOpenAiEmulator({ token: TOKEN });
  local = createInferenceService({ llama });
});
afterEach(async () => {
  await local.close();
  await emulator.close();
});

function backends(url = emulator.url, token = TOKEN): Record<string, RemoteBackendConfig> {
  return { emu: { url, token, model: "big-model", timeoutMs: 10_000 } };
}

function chain(routing: RoutingConfig, b = backends()): InferenceService {
  return createBackendChain({ local, backends: b, routing });
}

async function loadLocal(service: InferenceService): Promise<void> {
  await service.load(await generatedTestSpec());
}

const request = (extra: Partial<CompletionRequest> = {}): CompletionRequest => ({
  conversationId: "c1",
  messages: [{ role: "user", content: "Where is the prompt going?" }],
  maxTokens: 4,
  temperature: 0,
  ...extra,
});

async function rejection(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe("backend chain: routing.localOnly", () => {
  it("never contacts a configured remote: no switch, no fallback, the recording server sees nothing", async () => {
    const service = chain({ localOnly: true, fallback: ["local", "remote:emu"] });
    // no local model: the remote in the fallback list would be next, but it must not be used
    expect(service.model).toBeNull();
    expect((await rejection(service.complete(request()))).code).toBe("model_not_loaded");
    const refused = await rejection(service.load(remoteLoadSpec("remote:emu") as never));
    expect(refused.code).toBe("local_only");
    expect(refused.status).toBe(403);
    expect(refused.fix).toContain("localOnly: false");
    // with a local model the answer is local
    await loadLocal(service);
    const result = await service.complete(request());
    expect(result.modelId).toBe("tiny");
    expect(emulator.requests).toEqual([]);
  });
});

describe("backend chain: remote backends", () => {
  it("switches to a remote, sends the token and the configured model, and streams its deltas through", async () => {
    const service = chain({ localOnly: false, fallback: ["local"] });
    const info = await service.load(remoteLoadSpec("remote:emu") as never);
    expect(info.id).toBe("remote:emu");
    expect(info.remote).toEqual({ name: "emu", url: emulator.url, model: "big-model" });
    expect(service.model?.id).toBe("remote:emu");
    const pieces: string[] = [];
    const result = await service.complete(request({ onText: (t) => pieces.push(t) }));
    expect(pieces).toEqual(["Hello", " from", " the", " remote"]);
    expect(result).toMatchObject({
      text: "Hello from the remote",
      modelId: "remote:emu",
      finishReason: "stop",
      promptTokens: 7,
      completionTokens: 4,
    });
    expect(emulator.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /v1/models",
      "POST /v1/chat/completions",
    ]);
    const chat = emulator.requests[1];
    expect(chat?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(chat?.body).toMatchObject({
      model: "big-model",
      stream: true,
      max_tokens: 4,
      messages: [{ role: "user", content: "Where is the prompt going?" }],
    });
  });

  it("refuses a switch to a remote whose token is wrong and keeps answering locally", async () => {
    const service = chain({ localOnly: false, fallback: ["local"] }, backends(emulator.url, "wrong"));
    await loadLocal(service);
    const err = await rejection(service.load(remoteLoadSpec("remote:emu") as never));
    expect(err.code).toBe("remote_auth");
    expect(err.message).toContain('"emu"');
    expect(err.message).not.toContain("wrong");
    expect(err.fix).toContain("backends.emu.token");
    expect(service.model?.id).toBe("tiny");
    expect((await service.complete(request())).modelId).toBe("tiny");
  });

  it("names an unknown backend and the ones that exist", async () => {
    const service = chain({ localOnly: false, fallback: ["local"] });
    const err = await rejection(service.load(remoteLoadSpec("remote:nope") as never));
    expect(err.code).toBe("unknown_backend");
    expect(err.fix).toContain("remote:emu");
  });

  it("falls back to the local model when the remote in use goes down", async () => {
    const service = chain({ localOnly: false, fallback: ["local"] });
    await loadLocal(service);
    await service.load(remoteLoadSpec("remote:emu") as never);
    await emulator.close();
    const result = await service.complete(request());
    expect(result.modelId).toBe("tiny");
  });

  it("gives a clear error naming the backend and the fix when the remote is down and nothing else can answer", async () => {
    const service = chain({ localOnly: false, fallback: [] });
    await service.load(remoteLoadSpec("remote:emu") as never);
    await emulator.close();
    const err = await rejection(service.complete(request()));
    expect(err.code).toBe("remote_unreachable");
    expect(err.message).toMatch(
      /remote backend "emu" \(http:\/\/127\.0\.0\.1:\d+\/v1\) could not be reached: ECONNREFUSED/,
    );
    expect(err.fix).toContain("backends.emu.url");
  });

  it("lists every backend's reason when the whole chain fails", async () => {
    const service = chain({ localOnly: false, fallback: ["remote:emu", "local"] });
    await emulator.close();
    const err = await rejection(service.complete(request()));
    expect(err.code).toBe("no_backend");
    expect(err.message).toContain("remote:emu: remote backend");
    expect(err.message).toContain("local: No model is loaded yet.");
  });

  it("uses the local model first and the remote as a fallback when local has no model", async () => {
    const service = chain({ localOnly: false, fallback: ["local", "remote:emu"] });
    expect(service.model?.id).toBe("remote:emu");
    const result = await service.complete(request());
    expect(result.modelId).toBe("remote:emu");
    await loadLocal(service);
    expect(service.model?.id).toBe("tiny");
    expect((await service.complete(request())).modelId).toBe("tiny");
    expect(emulator.requests.filter((r) => r.path === "/v1/chat/completions")).toHaveLength(1);
  });
});
