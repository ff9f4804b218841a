import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, type Llama, readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../../../test/support/test-model.js";
import { UserError } from "../errors.js";
import { RUNTIME_OVERHEAD_BYTES } from "./fit.js";
import { estimateForFile, quickEstimateForFile } from "./gguf-refine.js";

let llama: Llama;
let path: string;
const tmp = mkdtempSync(join(tmpdir(), "clawbox-refine-"));

beforeAll(async () => {
  path = await testModelPath();
  llama = await getLlama({ gpu: false, build: "never", maxThreads: 1 });
});
afterAll(async () => {
  await llama?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

describe("estimateForFile", () => {
  it("reads trained context, layers and the KV cache from the GGUF header", async () => {
    const info = await readGgufFileInfo(path, { sourceType: "filesystem" });
    const meta = info.architectureMetadata as {
      context_length?: number;
      block_count?: number;
      embedding_length?: number;
      attention?: { head_count?: number; head_count_kv?: number };
    };
    const heads = meta.attention?.head_count ?? 1;
    const kvHeads = meta.attention?.head_count_kv ?? heads;
    const headDim = (meta.embedding_length ?? 0) / heads;
    const est = await estimateForFile(path, { contextSize: 512, gpuLayers: 0, llama });
    expect(est.trainContextSize).toBe(meta.context_length);
    expect(est.layers).toBe(meta.block_count);
    // 2 (K, V) × layers × kvHeads × headDim × 512 tokens × 2 bytes (f16)
    expect(est.kvCacheBytes).toBe(2 * (meta.block_count ?? 0) * kvHeads * headDim * 512 * 2);
    expect(est.kvCacheBytes).toBeGreaterThan(0);
  });

  it("sizes the weights near the file size and adds compute buffer + runtime overhead", async () => {
    const { size } = await import("node:fs/promises").then((fs) => fs.stat(path));
    const small = await estimateForFile(path, { contextSize: 256, gpuLayers: 0, llama });
    const large = await estimateForFile(path, { contextSize: 2048, gpuLayers: 0, llama });
    expect(small.weightsBytes).toBeGreaterThan(size * 0.5);
    expect(small.weightsBytes).toBeLessThanOrEqual(size * 1.5);
    expect(small.overheadBytes).toBeGreaterThan(RUNTIME_OVERHEAD_BYTES);
    expect(small.totalBytes).toBe(small.weightsBytes + small.kvCacheBytes + small.overheadBytes);
    // KV cache and compute buffer grow with the context size
    expect(large.kvCacheBytes).toBe(small.kvCacheBytes * 8);
    expect(large.overheadBytes).toBeGreaterThan(small.overheadBytes);
    expect(large.gpuBytes).toBe(0);
  });

  it("a q8_0 KV cache is 34/64 of the f16 one", async () => {
    const f16 = await estimateForFile(path, { contextSize: 512, gpuLayers: 0, llama });
    const q8 = await estimateForFile(path, { contextSize: 512, gpuLayers: 0, llama, kvCacheType: "q8_0" });
    expect(q8.kvCacheBytes).toBe((f16.kvCacheBytes * 34) / 64);
  });

  it("refuses a file that is not GGUF with a UserError", async () => {
    const bad = join(tmp, "not-a-model.gguf");
    writeFileSync(bad, "<html>404</html>");
    await expect(estimateForFile(bad, { contextSize: 512, gpuLayers: 0, llama })).rejects.toBeInstanceOf(
      UserError,
    );
  });
});

describe("quickEstimateForFile", () => {
  it("gives the same KV cache as estimateForFile from the header alone, the file size as weights", async () => {
    const opts = { contextSize: 512, batchSize: 512, kvCacheType: "f16" as const };
    const full = await estimateForFile(path, { ...opts, gpuLayers: 0, llama });
    const quick = await quickEstimateForFile(path, opts);
    expect(quick.kvCacheBytes).toBe(full.kvCacheBytes);
    expect(quick.weightsBytes).toBe(statSync(path).size);
    expect(quick.overheadBytes).toBeGreaterThan(RUNTIME_OVERHEAD_BYTES);
  });
});
