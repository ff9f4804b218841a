import { stat } from "node:fs/promises";
import { GgufInsights, readGgufFileInfo } from "node-llama-cpp";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { ModelLoadSpec } from "./types.js";

/** What a cheap look at a model file found (header only; tensor data is not read). */
export interface ModelFileFacts {
  /** File size, bytes (fs.stat). */
  fileBytes: number;
  /** `general.architecture` from the GGUF metadata, e.g. "llama", "qwen2". */
  architecture: string;
}

/**
 * Checks, before anything is unloaded, that `path` is a usable GGUF file: it exists, is a regular file, its
 * header parses (magic "GGUF", metadata, tensor infos) and it is at least as long as its tensor data (a
 * single-file model: first tensor offset + summed tensor bytes). Reads only the header (node-llama-cpp
 * `readGgufFileInfo`: a few KB to a few MB), not the weights.
 *
 * Catching a truncated file here matters: when llama.cpp itself fails to load a model, node-llama-cpp 3.22.1
 * keeps a dispose guard on the Llama binding until garbage collection, which can stall `llama.dispose()`.
 *
 * Throws UserError `model_not_found` (404) for a missing path or a directory, `model_invalid` (422) for a
 * file that is not GGUF, has a damaged header or is truncated; both name the file and the reason.
 */
export async function inspectModelFile(path: string): Promise<ModelFileFacts> {
  let fileBytes: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error("not a regular file");
    fileBytes = s.size;
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "it does not exist" : (err as Error).message;
    throw new UserError(`Model file ${path} cannot be used: ${reason}.`, {
      code: ErrorCode.MODEL_NOT_FOUND,
      status: 404,
      fix: "Check the path, or download the model again with `clawbox models pull <id>`.",
      cause: err,
    });
  }
  let facts: ModelFileFacts & { expectedBytes?: number };
  try {
    const info = await readGgufFileInfo(path, { logWarnings: false });
    facts = { fileBytes, architecture: String(info.metadata?.general?.architecture ?? "unknown") };
    const tensors = info.fullTensorInfo ?? [];
    if (info.splicedParts === 1 && tensors.length > 0) {
      // tensor data starts at the first tensor's file offset; GgufInsights.modelSize is the summed tensor bytes
      const dataStart = Math.min(...tensors.map((t) => Number(t.fileOffset)));
      facts.expectedBytes = dataStart + (await GgufInsights.from(info)).modelSize;
    }
  } catch (err) {
    throw invalid(path, `it is not a valid GGUF file (${(err as Error).message})`, err);
  }
  if (facts.expectedBytes !== undefined && fileBytes < facts.expectedBytes) {
    throw invalid(
      path,
      `it is truncated: ${fileBytes} of ${facts.expectedBytes} bytes (an interrupted download?)`,
    );
  }
  return { fileBytes: facts.fileBytes, architecture: facts.architecture };
}

function invalid(path: string, reason: string, cause?: unknown): UserError {
  return new UserError(`Model file ${path} cannot be used: ${reason}.`, {
    code: ErrorCode.MODEL_INVALID,
    status: 422,
    fix: "Use a complete .gguf model file (llama.cpp format); if it was downloaded, delete it and download it again.",
    cause,
  });
}

/**
 * Validates the numbers of a load spec (integers in range) so a bad config fails with a clear message
 * instead of a llama.cpp abort. Throws UserError `invalid_model_spec` (400) naming the field.
 */
export function checkLoadSpec(spec: ModelLoadSpec): void {
  const bad = (field: string, why: string): never => {
    throw new UserError(`Invalid model load setting ${field}: ${why}.`, {
      code: ErrorCode.INVALID_MODEL_SPEC,
      status: 400,
      fix: "Fix the value in the device profile or config (see `clawbox config`).",
    });
  };
  const int = (field: string, v: number | undefined, min: number): void => {
    if (v === undefined) return;
    if (!Number.isInteger(v) || v < min) bad(field, `expected an integer ≥ ${min}, got ${v}`);
  };
  if (typeof spec.path !== "string" || spec.path === "") bad("path", "empty");
  if (typeof spec.id !== "string" || spec.id === "") bad("id", "empty");
  int("contextSize", spec.contextSize, 16);
  int("threads", spec.threads, 1);
  int("gpuLayers", spec.gpuLayers, 0);
  int("batchSize", spec.batchSize, 1);
  int("sequences", spec.sequences, 1);
}
