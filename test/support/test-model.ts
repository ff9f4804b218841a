import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ModelLoadSpec } from "../../agent/src/inference/types.js";
import { writeTinyGguf } from "./tiny-gguf.js";

/** Repository root: this file is `<root>/test/support/test-model.ts`. */
const REPO_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..");

/** The real tiny story model beside the clone (`../shared/models/stories260K.gguf`, see its README there). */
export const SHARED_TEST_MODEL_PATH = resolve(REPO_ROOT, "..", "shared", "models", "stories260K.gguf");

/** Id to load the test model under (`ModelLoadSpec.id`). */
export const TEST_MODEL_ID = "test-model";

/**
 * CPU threads for tests that run a model. 1, not 2, on purpose: measured on the 2-core development VM with
 * node-llama-cpp 3.22.1 and the story model, generation ran at ~1,000–2,000 tokens/s with 1 thread but
 * 20–150 tokens/s with 2 (llama.cpp starts a fresh helper thread per decoded token when no threadpool is
 * attached, and its spin barriers stall when the other core is busy). Override with `CLAWBOX_TEST_THREADS`.
 */
export const TEST_THREADS = Number(process.env.CLAWBOX_TEST_THREADS ?? 1);

/** Which test model {@link testModelPath} returns. */
export type TestModelKind = "shared" | "generated";

/**
 * Which model the tests use: `"shared"` when `../shared/models/stories260K.gguf` exists and
 * `CLAWBOX_TEST_MODEL` is not `generated`, otherwise `"generated"` (random weights, see tiny-gguf.ts).
 */
export function testModelKind(env: NodeJS.ProcessEnv = process.env): TestModelKind {
  if (env.CLAWBOX_TEST_MODEL === "generated") return "generated";
  return existsSync(SHARED_TEST_MODEL_PATH) ? "shared" : "generated";
}

/**
 * Absolute path of a GGUF model for tests: the shared story model (a real TinyStories model that writes
 * English) when present, else a generated tiny random-weight GGUF in `os.tmpdir()` (cached by content hash;
 * it writes random bytes, not English). `CLAWBOX_TEST_MODEL=generated` forces the generated one.
 */
export async function testModelPath(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return testModelKind(env) === "shared" ? SHARED_TEST_MODEL_PATH : generatedTestModelPath();
}

/** Absolute path of the generated tiny GGUF (written on first use, then reused). */
export async function generatedTestModelPath(): Promise<string> {
  return writeTinyGguf();
}

/**
 * Load spec of the generated tiny model as the engine tests use it: id "tiny", context 256 tokens,
 * TEST_THREADS threads, CPU only; `extra` overrides or adds fields (e.g. `parallel`).
 */
export async function generatedTestSpec(extra: Partial<ModelLoadSpec> = {}): Promise<ModelLoadSpec> {
  return {
    path: await generatedTestModelPath(),
    id: "tiny",
    contextSize: 256,
    threads: TEST_THREADS,
    gpuLayers: 0,
    ...extra,
  };
}
