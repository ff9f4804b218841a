import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generatedTestSpec } from "../../../test/support/test-model.js";
import { createInferenceService } from "./engine.js";
import type { CompletionRequest, InferenceService } from "./types.js";

// The generated tiny model never emits end-of-sequence, so every request runs exactly to maxTokens:
// request lengths are deterministic, which these queue tests rely on.
let llama: Llama;
let service: InferenceService;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 0 });
});
afterAll(async () => {
  await llama?.dispose();
});
beforeEach(async () => {
  service = createInferenceService({ llama, maxQueued: 8 });
  await service.load(await generatedTestSpec());
});
afterEach(async () => {
  await service.close();
});

function request(conversationId: string, extra: Partial<CompletionRequest> = {}): CompletionRequest {
  return {
    conversationId,
    messages: [{ role: "user", content: `hello from ${conversationId}` }],
    maxTokens: 8,
    temperature: 0,
    ...extra,
  };
}

/** Blocks the event loop for `ms` (a slow consumer of streamed text), so a generation outlasts a timer. */
function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* spin */
  }
}

describe("inference engine: fair queue", () => {
  it("serves two conversations in turn, each in order", async () => {
    const order: string[] = [];
    const run = (conversation: string, n: number) =>
      service.complete(request(conversation)).then((r) => {
        order.push(`${conversation}${n}`);
        return r;
      });
    const results = await Promise.all([
      run("a", 1),
      run("a", 2),
      run("a", 3),
      run("b", 1),
      run("b", 2),
      run("b", 3),
    ]);
    expect(order).toEqual(["a1", "b1", "a2", "b2", "a3", "b3"]);
    expect(results.every((r) => r.completionTokens === 8 && r.finishReason === "length")).toBe(true);
  });

  it("lets a queued request leave at once when it is cancelled", async () => {
    const running = service.complete(request("a", { maxTokens: 100 }));
    const controller = new AbortController();
    const queued = service.complete(request("b", { signal: controller.signal }));
    expect(service.stats().queueDepth).toBe(1);
    controller.abort();
    await expect(queued).rejects.toMatchObject({ code: "cancelled" });
    expect(service.stats().queueDepth).toBe(0);
    const first = await running;
    expect(first.finishReason).toBe("length");
    expect(first.completionTokens).toBe(100);
  });

  it("stops a running generation when it is cancelled and returns the text so far", async () => {
    const controller = new AbortController();
    const pieces: string[] = [];
    const result = await service.complete(
      request("a", {
        maxTokens: 120,
        signal: controller.signal,
        onText: (t) => {
          pieces.push(t);
          if (pieces.length === 3) controller.abort();
        },
      }),
    );
    expect(result.finishReason).toBe("cancelled");
    expect(result.completionTokens).toBeGreaterThanOrEqual(3);
    expect(result.completionTokens).toBeLessThan(120);
    expect(result.text.startsWith(pieces.slice(0, 3).join(""))).toBe(true);
    // the engine is free again
    const next = await service.complete(request("b"));
    expect(next.finishReason).toBe("length");
  });

  it("times out a request that is still running, and one that is still waiting", async () => {
    const slow = service.complete(request("a", { maxTokens: 100, timeoutMs: 50, onText: () => busyWait(5) }));
    const waiting = service.complete(request("b", { timeoutMs: 10 }));
    await expect(waiting).rejects.toMatchObject({ code: "timeout", status: 504 });
    await expect(slow).rejects.toMatchObject({ code: "timeout", status: 504 });
    expect(service.stats().activeRequests).toBe(0);
  });

  it("refuses requests beyond the queue cap with busy", async () => {
    const first = service.complete(request("first", { maxTokens: 60 }));
    const waiting = ["b", "c", "d", "e", "f", "g", "h", "i"].map((id) => service.complete(request(id)));
    expect(service.stats().queueDepth).toBe(8);
    await expect(service.complete(request("j"))).rejects.toMatchObject({ code: "busy", status: 503 });
    const results = await Promise.all([first, ...waiting]);
    expect(results.map((r) => r.completionTokens)).toEqual([60, 8, 8, 8, 8, 8, 8, 8, 8]);
  });

  it("close() cancels queued work and refuses new requests", async () => {
    const running = service.complete(request("a", { maxTokens: 100 }));
    const queued = expect(service.complete(request("b"))).rejects.toMatchObject({ code: "engine_closed" });
    await service.close();
    await queued;
    const first = await running;
    expect(["cancelled", "length"]).toContain(first.finishReason);
    await expect(service.complete(request("c"))).rejects.toMatchObject({ code: "engine_closed" });
    expect(service.model).toBeNull();
  });
});
