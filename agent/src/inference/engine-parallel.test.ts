import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { generatedTestSpec } from "../../../test/support/test-model.js";
import { createInferenceService } from "./engine.js";
import type { InferenceService } from "./types.js";

// The generated tiny model never emits end-of-sequence and every token is one printable character, so each
// request streams exactly maxTokens text pieces: the order of pieces shows whether generations overlapped.
let llama: Llama;
let service: InferenceService | undefined;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 0 });
});
afterAll(async () => {
  await llama?.dispose();
});
afterEach(async () => {
  await service?.close();
});

/** Runs `n` conversations at once; returns the conversation of every streamed piece, in arrival order. */
async function streamOrder(parallel: number | undefined, n: number): Promise<string[]> {
  service = createInferenceService({ llama });
  await service.load(await generatedTestSpec(parallel ? { parallel } : {}));
  const order: string[] = [];
  const s = service;
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      s.complete({
        conversationId: `c${i}`,
        messages: [{ role: "user", content: `conversation ${i}` }],
        maxTokens: 16,
        temperature: 0,
        onText: () => order.push(`c${i}`),
      }),
    ),
  );
  return order;
}

/** Position of the first and the last piece of each conversation. */
function spans(order: string[]): Map<string, { first: number; last: number }> {
  const out = new Map<string, { first: number; last: number }>();
  order.forEach((c, i) => {
    const s = out.get(c);
    if (s) s.last = i;
    else out.set(c, { first: i, last: i });
  });
  return out;
}

describe("inference engine: parallel sequences", () => {
  it("decodes spec.parallel conversations together: every first token arrives before any reply ends", async () => {
    const order = await streamOrder(3, 3);
    expect(order).toHaveLength(48);
    const s = [...spans(order).values()];
    expect(s).toHaveLength(3);
    const latestFirst = Math.max(...s.map((x) => x.first));
    const earliestLast = Math.min(...s.map((x) => x.last));
    expect(latestFirst).toBeLessThan(earliestLast);
  });

  it("runs more conversations than parallel sequences in waves, never more at once", async () => {
    const order = await streamOrder(2, 4);
    const s = [...spans(order).values()].sort((a, b) => a.first - b.first);
    // the third and fourth start only after one of the first two ended
    const firstEnd = Math.min(s[0]?.last ?? 0, s[1]?.last ?? 0);
    expect(s[2]?.first).toBeGreaterThan(firstEnd);
    expect(s[3]?.first).toBeGreaterThan(firstEnd);
  });

  it("without parallel runs one conversation at a time (replies do not interleave)", async () => {
    const order = await streamOrder(undefined, 3);
    const s = [...spans(order).values()].sort((a, b) => a.first - b.first);
    expect(s.map((x) => x.last - x.first)).toEqual([15, 15, 15]);
  });
});
