import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, readGgufFileInfo, type Token } from "node-llama-cpp";
import { afterAll, describe, expect, it } from "vitest";
import { TEST_THREADS } from "./test-model.js";
import { buildTinyGguf, writeTinyGguf } from "./tiny-gguf.js";

describe("tiny GGUF generator", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("is deterministic for a seed and different across seeds", () => {
    const a = buildTinyGguf({ seed: 7 });
    expect(buildTinyGguf({ seed: 7 }).equals(a)).toBe(true);
    expect(buildTinyGguf({ seed: 8 }).equals(a)).toBe(false);
    expect(a.subarray(0, 4).toString("ascii")).toBe("GGUF");
    expect(a.readUInt32LE(4)).toBe(3);
  });

  it("writes a file named by its content hash and reuses it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "clawbox-gguf-"));
    dirs.push(dir);
    const first = await writeTinyGguf({ blockCount: 1 }, dir);
    const second = await writeTinyGguf({ blockCount: 1 }, dir);
    expect(second).toBe(first);
    expect(first).toMatch(/clawbox-tiny-[0-9a-f]{16}\.gguf$/);
    expect((await readFile(first)).equals(buildTinyGguf({ blockCount: 1 }))).toBe(true);
  });

  it("is read back by node-llama-cpp's GGUF parser with the metadata we wrote", async () => {
    const file = await writeTinyGguf({ embeddingLength: 48, blockCount: 3, headCount: 6 });
    const info = await readGgufFileInfo(file);
    expect(info.version).toBe(3);
    expect(info.metadata.general.architecture).toBe("llama");
    const llama = info.metadata as unknown as { llama: Record<string, unknown> };
    expect(llama.llama.embedding_length).toBe(48);
    expect(llama.llama.block_count).toBe(3);
    expect(info.tensorInfo?.length).toBe(2 + 3 * 9 + 1);
    expect(info.metadata.tokenizer.ggml.tokens.length).toBe(260);
  });

  it("loads in llama.cpp and generates tokens", async () => {
    const file = await writeTinyGguf();
    const llama = await getLlama({
      gpu: false,
      build: "never",
      logLevel: LlamaLogLevel.error,
      maxThreads: 0,
    });
    try {
      const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
      expect(model.trainContextSize).toBe(512);
      const context = await model.createContext({ contextSize: 256, threads: TEST_THREADS });
      const sequence = context.getSequence();
      const generated: Token[] = [];
      for await (const token of sequence.evaluate(model.tokenize("hello"), { temperature: 0 })) {
        generated.push(token);
        if (generated.length >= 20) break;
      }
      expect(generated).toHaveLength(20);
      // only printable ASCII bytes (token = 3 + byte) and "▁" (259) have non-zero output rows
      expect(generated.every((t) => (t > 3 + 0x20 && t < 3 + 0x7f) || t === 259)).toBe(true);
      expect(model.detokenize(generated)).toMatch(/^[\x20-\x7e]+$/);
      expect(model.detokenize(model.tokenize("héllo wörld"))).toBe("héllo wörld");
    } finally {
      await llama.dispose();
    }
  });
});
