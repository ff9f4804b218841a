import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  generatedTestModelPath,
  TEST_MODEL_ID,
  TEST_THREADS,
  testModelKind,
  testModelPath,
} from "../../../test/support/test-model.js";
import { writeTinyGguf } from "../../../test/support/tiny-gguf.js";
import { UserError } from "../errors.js";
import { createInferenceService } from "./engine.js";
import type { ChatMessage, ModelLoadSpec } from "./types.js";

let llama: Llama;
let modelPath: string;
let generatedPath: string;
let scratch: string;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 0 });
  modelPath = await testModelPath();
  generatedPath = await generatedTestModelPath();
  scratch = await mkdtemp(join(tmpdir(), "clawbox-engine-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
  await llama?.dispose();
});

function spec(overrides: Partial<ModelLoadSpec> = {}): ModelLoadSpec {
  return {
    path: modelPath,
    id: TEST_MODEL_ID,
    contextSize: 256,
    threads: TEST_THREADS,
    gpuLayers: 0,
    ...overrides,
  };
}

/** A pino logger that keeps its JSON lines in memory. */
function memoryLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

describe("inference engine: completions", () => {
  it("continues a story prompt and reports what was loaded", async () => {
    const service = createInferenceService({ llama });
    try {
      const info = await service.load(spec());
      expect(info).toMatchObject({
        id: TEST_MODEL_ID,
        contextSize: 256,
        threads: TEST_THREADS,
        gpuLayers: 0,
      });
      expect(info.chatTemplate).toBe("fallback");
      expect(info.fileBytes).toBe((await readFile(modelPath)).length);
      expect(service.model?.id).toBe(TEST_MODEL_ID);

      const result = await service.complete({
        conversationId: "story",
        messages: [{ role: "user", content: "Once upon a time" }],
        maxTokens: 40,
        temperature: 0,
      });
      expect(result.completionTokens).toBeGreaterThan(0);
      expect(result.completionTokens).toBeLessThanOrEqual(40);
      expect(result.promptTokens).toBeGreaterThan(service.countTokens("Once upon a time"));
      expect(result.modelId).toBe(TEST_MODEL_ID);
      expect(result.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
      expect(result.generationMs).toBeGreaterThanOrEqual(0);
      if (testModelKind() === "shared") {
        // the TinyStories model writes simple English
        const words = result.text.toLowerCase().match(/[a-z]+/g) ?? [];
        expect(words.length).toBeGreaterThan(3);
        expect(
          words.some((w) => ["the", "a", "was", "she", "he", "and", "to", "it", "you"].includes(w)),
        ).toBe(true);
      }
      const stats = service.stats();
      expect(stats.tokensGenerated).toBe(result.completionTokens);
      expect(stats.queueDepth).toBe(0);
      expect(stats.activeRequests).toBe(0);
    } finally {
      await service.close();
    }
  });

  it("streams pieces that concatenate to the final text", async () => {
    const service = createInferenceService({ llama });
    try {
      await service.load(spec({ path: generatedPath }));
      const pieces: string[] = [];
      const result = await service.complete({
        conversationId: "stream",
        messages: [{ role: "user", content: "héllo wörld ✓" }],
        maxTokens: 60,
        temperature: 0,
        onText: (t) => pieces.push(t),
      });
      // the generated model never emits EOS, so it runs to maxTokens
      expect(result.finishReason).toBe("length");
      expect(result.completionTokens).toBe(60);
      expect(pieces.length).toBeGreaterThan(1);
      expect(pieces.every((p) => p.length > 0)).toBe(true);
      expect(pieces.join("")).toBe(result.text);
      expect(service.stats().lastTokensPerSecond).toBeGreaterThan(0);
      // without onText no text callback runs, and the reply is the same
      const plain = await service.complete({
        conversationId: "plain",
        messages: [{ role: "user", content: "héllo wörld ✓" }],
        maxTokens: 60,
        temperature: 0,
      });
      expect(plain.text).toBe(result.text);
      expect(plain.completionTokens).toBe(60);
    } finally {
      await service.close();
    }
  });

  it("warms up at load and leaves every KV cache sequence empty for the first requests", async () => {
    const { logger, lines } = memoryLogger();
    const service = createInferenceService({ llama, logger });
    try {
      await service.load(spec({ sequences: 2 }));
      for (const conversationId of ["first", "second"]) {
        await service.complete({
          conversationId,
          messages: [{ role: "user", content: "Hi" }],
          maxTokens: 4,
          temperature: 0,
        });
      }
      const completions = lines.filter((l) => l.msg === "completion");
      // the warm-up rendered this very prompt; a sequence still holding it would reuse its tokens
      expect(completions.map((l) => [l.sequence, l.warm, l.reusedPromptTokens])).toEqual([
        [0, false, 0],
        [1, false, 0],
      ]);
    } finally {
      await service.close();
    }
  });

  it("keeps prompt tokens within the budget over 200 turns and reuses the KV cache between turns", async () => {
    const { logger, lines } = memoryLogger();
    // headroom 0.5: trim half the budget at once, so the 256-token test context keeps a stable prefix for a few turns
    const service = createInferenceService({ llama, logger, historyHeadroom: 0.5 });
    try {
      await service.load(spec());
      const maxTokens = 16;
      const budget = 256 - maxTokens - 1;
      const messages: ChatMessage[] = [{ role: "system", content: "You tell short stories about Lily." }];
      for (let turn = 0; turn < 200; turn++) {
        messages.push({ role: "user", content: `And then ${turn}?` });
        const result = await service.complete({
          conversationId: "long",
          messages,
          maxTokens,
          temperature: 0,
        });
        expect(result.promptTokens).toBeLessThanOrEqual(budget);
        messages.push({ role: "assistant", content: result.text });
      }
      const completions = lines.filter((l) => l.msg === "completion");
      expect(completions).toHaveLength(200);
      const dropped = completions.map((l) => l.droppedTurns as number);
      expect(Math.max(...dropped)).toBeGreaterThan(300);
      // most turns evaluate only the new tail of the prompt
      const reused = completions.filter(
        (l) => (l.reusedPromptTokens as number) > (l.promptTokens as number) / 2,
      );
      expect(reused.length).toBeGreaterThan(100);
    } finally {
      await service.close();
    }
  });

  it("rejects requests before a model is loaded and malformed requests", async () => {
    const service = createInferenceService({ llama });
    try {
      const messages: ChatMessage[] = [{ role: "user", content: "hi" }];
      await expect(service.complete({ conversationId: "x", messages })).rejects.toMatchObject({
        code: "model_not_loaded",
        status: 503,
      });
      expect(() => service.countTokens("hi")).toThrow(UserError);
      await service.load(spec());
      await expect(service.complete({ conversationId: "", messages })).rejects.toMatchObject({
        code: "invalid_request",
      });
      await expect(service.complete({ conversationId: "x", messages: [] })).rejects.toMatchObject({
        code: "invalid_request",
      });
      await expect(
        service.complete({ conversationId: "x", messages: [{ role: "user", content: "word ".repeat(600) }] }),
      ).rejects.toMatchObject({ code: "context_length_exceeded" });
      expect(service.countTokens("")).toBe(0);
      expect(service.countTokens("Once upon a time there was")).toBeGreaterThan(
        service.countTokens("Once upon"),
      );
    } finally {
      await service.close();
    }
  });
});

describe("inference engine: loading and hot switch", () => {
  it("finishes the in-flight request on the old model and runs the next one on the new model", async () => {
    const service = createInferenceService({ llama });
    try {
      await service.load(spec({ id: "old" }));
      const events: string[] = [];
      const inFlight = service
        .complete({
          conversationId: "a",
          messages: [{ role: "user", content: "Once upon a time" }],
          maxTokens: 48,
          temperature: 0,
        })
        .then((r) => {
          events.push("in-flight done");
          return r;
        });
      const switched = service.load(spec({ id: "new", path: generatedPath })).then((info) => {
        events.push("switched");
        return info;
      });
      const next = service.complete({
        conversationId: "b",
        messages: [{ role: "user", content: "and then" }],
        maxTokens: 8,
        temperature: 0,
      });
      const [first, info, second] = await Promise.all([inFlight, switched, next]);
      expect(first.modelId).toBe("old");
      expect(first.completionTokens).toBeGreaterThan(0);
      expect(info.id).toBe("new");
      expect(second.modelId).toBe("new");
      expect(second.completionTokens).toBe(8);
      expect(events.indexOf("in-flight done")).toBeLessThan(events.indexOf("switched"));
      expect(service.model?.id).toBe("new");
    } finally {
      await service.close();
    }
  });

  it("refuses a missing, a non-GGUF and a truncated file while the old model keeps serving", async () => {
    const service = createInferenceService({ llama });
    try {
      const loaded = await service.load(spec({ id: "good" }));
      const missing = join(scratch, "missing.gguf");
      await expect(service.load(spec({ id: "x", path: missing }))).rejects.toMatchObject({
        code: "model_not_found",
        message: expect.stringContaining(missing),
      });
      const text = join(scratch, "notes.gguf");
      await writeFile(text, "this is not a model\n");
      const invalid = service.load(spec({ id: "x", path: text }));
      await expect(invalid).rejects.toBeInstanceOf(UserError);
      await expect(invalid).rejects.toMatchObject({
        code: "model_invalid",
        message: expect.stringContaining(text),
      });
      const truncated = join(scratch, "truncated.gguf");
      const bytes = await readFile(generatedPath);
      await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
      await expect(service.load(spec({ id: "x", path: truncated }))).rejects.toMatchObject({
        code: "model_invalid",
        message: expect.stringMatching(/truncated/),
      });
      await expect(service.load(spec({ id: "x", threads: 0 }))).rejects.toMatchObject({
        code: "invalid_model_spec",
      });

      expect(service.model?.id).toBe("good");
      const result = await service.complete({
        conversationId: "after",
        messages: [{ role: "user", content: "Once upon a time" }],
        maxTokens: 8,
        temperature: 0,
      });
      expect(result.modelId).toBe("good");
      expect(result.completionTokens).toBeGreaterThan(0);
      expect(service.model?.path).toBe(loaded.path);
    } finally {
      await service.close();
    }
  });

  it("loads the previous model again when llama.cpp rejects the new one", async () => {
    // a well-formed GGUF without one attention weight: it passes the header checks, then llama.cpp refuses it.
    // No shared binding here: after a failed native load node-llama-cpp holds its binding until GC, and the
    // engine's own runtime bounds that wait on close().
    const broken = await writeTinyGguf({ omitTensors: ["blk.0.attn_q.weight"] }, scratch);
    const service = createInferenceService({ disposeTimeoutMs: 500 });
    try {
      await service.load(spec({ id: "good" }));
      await expect(service.load(spec({ id: "broken", path: broken }))).rejects.toMatchObject({
        code: "model_load_failed",
        status: 422,
        message: expect.stringContaining(broken),
      });
      expect(service.model?.id).toBe("good");
      const result = await service.complete({
        conversationId: "after",
        messages: [{ role: "user", content: "Once upon a time" }],
        maxTokens: 8,
        temperature: 0,
      });
      expect(result.modelId).toBe("good");
    } finally {
      await service.close();
    }
  });
});
