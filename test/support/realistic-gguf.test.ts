import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaChat, LlamaLogLevel, readGgufFileInfo } from "node-llama-cpp";
import { afterAll, describe, expect, it } from "vitest";
import { type ModelShape, writeRealisticGguf } from "./realistic-gguf.js";
import { TEST_THREADS } from "./test-model.js";

const dir = mkdtempSync(join(tmpdir(), "clawbox-realistic-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A small shape with the same layout as QWEN25_05B_SHAPE (grouped-query attention, tied output), so the
// test runs in seconds; the bench writes the full-size one.
const SMALL: ModelShape = {
  name: "small-shape",
  embeddingLength: 128,
  blockCount: 2,
  feedForwardLength: 256,
  headCount: 4,
  headCountKv: 1,
  vocabSize: 2_000,
  contextLength: 1024,
};

describe("realistic-shape GGUF writer", () => {
  it("writes Q8_0 tensors of the shape that llama.cpp loads and runs to maxTokens", async () => {
    const path = writeRealisticGguf(SMALL, dir);
    expect(writeRealisticGguf(SMALL, dir)).toBe(path); // cached by shape
    const info = await readGgufFileInfo(path, { logWarnings: false });
    const embd = info.fullTensorInfo?.find((t) => t.name === "token_embd.weight");
    expect(embd?.dimensions.map(Number)).toEqual([128, 2000]);
    expect(embd?.ggmlType).toBe(8); // Q8_0
    // 34 bytes per 32 weights: the file is Q8_0-sized, not f32
    const params = 128 * 2000 + 2 * (128 * 128 * 2 + 128 * 32 * 2 + 3 * 128 * 256);
    expect(statSync(path).size).toBeLessThan(params * 1.2);

    const llama = await getLlama({
      gpu: false,
      build: "never",
      logLevel: LlamaLogLevel.error,
      maxThreads: 0,
    });
    const model = await llama.loadModel({ modelPath: path });
    const context = await model.createContext({ contextSize: 256, threads: TEST_THREADS });
    const chat = new LlamaChat({ contextSequence: context.getSequence() });
    const reply = await chat.generateResponse(
      [
        { type: "user", text: "Hello" },
        { type: "model", response: [] },
      ],
      { maxTokens: 12, temperature: 0 },
    );
    expect(reply.metadata.stopReason).toBe("maxTokens");
    expect(reply.response.length).toBeGreaterThan(0);
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  });
});
