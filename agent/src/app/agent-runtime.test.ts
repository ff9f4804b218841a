import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelKind, testModelPath } from "../../../test/support/test-model.js";
import { UserError } from "../errors.js";
import { loadProfiles, MIN_WEIGHT_BYTES_PER_THREAD } from "../hardware/profiles.js";
import type { HardwareReport } from "../hardware/types.js";
import { ALL_LAYERS, decideRuntime, modelSpecFor, trainedContextOf } from "./agent-runtime.js";

function report(
  over: Partial<HardwareReport> & { cores?: number; performanceCores?: number },
): HardwareReport {
  const cores = over.cores ?? 8;
  return {
    schemaVersion: 1,
    arch: "x64",
    platform: "linux",
    board: null,
    cpu: {
      model: "Test CPU",
      physicalCores: cores,
      logicalCores: cores * 2,
      performanceCores: over.performanceCores ?? cores,
      flags: ["avx2"],
    },
    memory: { totalBytes: 16e9, availableBytes: 14e9, swapBytes: 0 },
    gpus: [],
    diskFreeBytes: 100e9,
    ...over,
  };
}

const profiles = loadProfiles();

describe("decideRuntime", () => {
  it("takes threads, context and GPU use from the matched profile", () => {
    const r = decideRuntime(report({ cores: 6 }), profiles, {});
    const x86 = profiles.find((p) => p.id === r.profile);
    expect(x86).toBeDefined();
    expect(r.threads).toBe(6);
    expect(r.contextSize).toBe(x86?.runtime.contextSize.default);
    expect(r.gpu).toBe(false);
    expect(r.gpuLayers).toBe(0);
    expect(r.batchSize).toBe(x86?.runtime.batchSize);
  });

  it("lets the config override the profile", () => {
    const r = decideRuntime(report({}), profiles, { threads: 2, contextSize: 512, gpuLayers: 3 });
    expect([r.threads, r.contextSize, r.gpuLayers]).toEqual([2, 512, 3]);
  });

  it("offloads all layers on a GPU profile when nothing says otherwise", () => {
    const gpuReport = report({
      gpus: [
        { vendor: "nvidia", model: "NVIDIA GeForce RTX 3060", vramBytes: 12884901888, unifiedMemory: false },
      ],
    });
    const r = decideRuntime(gpuReport, profiles, {});
    expect(r.gpu).not.toBe(false);
    expect(r.gpuLayers).toBe(ALL_LAYERS);
  });

  it("falls back to generic CPU settings on a device without a profile", () => {
    const r = decideRuntime(report({ arch: "riscv64", cores: 4 }), profiles, {});
    expect(r.profile).toBeNull();
    expect(r.profileWhy).toMatch(/no device profile matches.*generic CPU settings/);
    expect(r.threads).toBe(4);
    expect(r.gpuLayers).toBe(0);
  });
});

describe("modelSpecFor", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "clawbox-spec-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const runtime = decideRuntime(report({ cores: 2 }), profiles, { contextSize: 256 });

  it("uses a GGUF path as is, named by its file stem", async () => {
    const file = join(dir, "Tiny-Q4_K_M.gguf");
    writeFileSync(file, "GGUF");
    const spec = await modelSpecFor(file, runtime, () => {
      throw new Error("not a store id");
    });
    // threads 1, not the 2 cores: a 4-byte file is far below MIN_WEIGHT_BYTES_PER_THREAD.
    expect(spec).toMatchObject({ path: file, id: "Tiny-Q4_K_M", threads: 1, contextSize: 256, gpuLayers: 0 });
  });

  it("rejects a missing file with a UserError (404)", async () => {
    const err = await modelSpecFor(join(dir, "nope.gguf"), runtime, () => "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).status).toBe(404);
  });

  it("takes a bare file name from the store when it is not in the current folder", async () => {
    const asked: string[] = [];
    const spec = await modelSpecFor("not-here-Q4_K_M.gguf", runtime, (ref) => {
      asked.push(ref);
      return join(dir, ref);
    });
    expect(asked).toEqual(["not-here-Q4_K_M.gguf"]);
    expect(spec).toMatchObject({ id: "not-here-Q4_K_M", path: join(dir, "not-here-Q4_K_M.gguf") });
  });

  it("caps the profile's context size at the model's trained context, but not a configured one", async () => {
    const model = await testModelPath();
    const trained = await trainedContextOf(model);
    // llama.context_length in the stories260K GGUF header is 2048 (read with readGgufFileInfo).
    if (testModelKind() === "shared") expect(trained).toBe(2048);
    expect(trained).toBeGreaterThan(0);
    const auto = decideRuntime(report({ cores: 2 }), profiles, {});
    expect(auto.contextSize).toBeGreaterThan(trained ?? 0);
    expect((await modelSpecFor(model, auto, () => "")).contextSize).toBe(trained);
    const configured = decideRuntime(report({ cores: 2 }), profiles, { contextSize: 2048 });
    expect((await modelSpecFor(model, configured, () => "")).contextSize).toBe(2048);
  });

  it("reads no trained context from a file that is not GGUF", async () => {
    const file = join(dir, "junk.gguf");
    writeFileSync(file, "not a model");
    expect(await trainedContextOf(file)).toBeNull();
  });

  it("lowers the profile's threads for a small model file, but not configured threads", async () => {
    const auto = decideRuntime(report({ cores: 8 }), profiles, {});
    expect([auto.threads, auto.threadsFixed]).toEqual([8, false]);
    const small = join(dir, "small.gguf");
    writeFileSync(small, Buffer.alloc(1_000_000));
    const medium = join(dir, "medium.gguf");
    writeFileSync(medium, Buffer.alloc(3 * MIN_WEIGHT_BYTES_PER_THREAD + 1));
    expect((await modelSpecFor(small, auto, () => "")).threads).toBe(1);
    expect((await modelSpecFor(medium, auto, () => "")).threads).toBe(4);
    // A store path that does not exist (yet): size unknown, every performance core.
    expect((await modelSpecFor("absent-Q4_K_M.gguf", auto, (ref) => join(dir, ref))).threads).toBe(8);

    const configured = decideRuntime(report({ cores: 8 }), profiles, { threads: 6 });
    expect(configured.threadsFixed).toBe(true);
    expect((await modelSpecFor(small, configured, () => "")).threads).toBe(6);
  });

  it("keeps a fixed profile thread count for a small model file", async () => {
    const fixedProfiles = profiles.map((p) => ({ ...p, runtime: { ...p.runtime, threads: 3 } }));
    const fixed = decideRuntime(report({ cores: 8 }), fixedProfiles, {});
    expect([fixed.threads, fixed.threadsFixed]).toEqual([3, true]);
    const small = join(dir, "small-fixed.gguf");
    writeFileSync(small, Buffer.alloc(1_000_000));
    expect((await modelSpecFor(small, fixed, () => "")).threads).toBe(3);
  });

  it("looks catalogue ids up in the store", async () => {
    const spec = await modelSpecFor("qwen2.5-0.5b-instruct", runtime, (id) => join(dir, `${id}.gguf`));
    expect(spec.id).toBe("qwen2.5-0.5b-instruct");
    expect(spec.path).toBe(join(dir, "qwen2.5-0.5b-instruct.gguf"));
  });
});

describe("parallel sequences", () => {
  it("come from the profile, or the config, with the memory the profile leaves for the model", () => {
    const r = decideRuntime(report({}), profiles, {});
    const x86 = profiles.find((p) => p.id === r.profile);
    expect(r.parallel).toBe(x86?.runtime.parallelSequences);
    expect(r.modelMemoryBytes).toBe(14e9 - (x86?.osReserveBytes ?? 0));
    expect(decideRuntime(report({}), profiles, { parallel: 6 }).parallel).toBe(6);
    expect(decideRuntime(report({ arch: "riscv64" }), profiles, {}).parallel).toBe(1);
  });

  it("are lowered to the KV caches the memory holds for the real model file", async () => {
    const path = await testModelPath();
    const r = decideRuntime(report({}), profiles, { parallel: 8, contextSize: 512 });
    expect((await modelSpecFor(path, r, () => "")).parallel).toBe(8);
    // the same file with 1 GiB per sequence on a device with 3 GiB for the model: (3 / 1.2 − 0.5) / 1 = 2
    const estimate = async () => ({ weightsBytes: 0.5 * 2 ** 30, overheadBytes: 0, kvCacheBytes: 2 ** 30 });
    const small = { ...r, modelMemoryBytes: 3 * 2 ** 30 };
    expect((await modelSpecFor(path, small, () => "", undefined, estimate)).parallel).toBe(2);
  });
});
