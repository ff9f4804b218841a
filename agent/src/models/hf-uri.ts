/**
 * Where a model comes from: turns what the user typed (`hf:user/repo/file.gguf#branch`, `hf:user/repo:Q4_K_M`,
 * an https:// or http:// URL, or a catalogue id like `qwen2.5-1.5b-instruct[:Q6_K]`) into a download URL and
 * a safe local file name, with the catalogue's expected size and SHA-256 when it knows the file.
 */
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { CatalogueFile, CatalogueModel, QuantType } from "./types.js";

export interface ModelSource {
  /** URL to GET. */
  url: string;
  /** Local file name in the model store (no directory part). */
  fileName: string;
  /** From the catalogue when it lists this file (unverified catalogue sizes are only a hint). */
  expectedBytes?: number;
  sha256?: string;
  modelId?: string;
  quant?: QuantType;
  /** True when `url` points at the Hugging Face endpoint (HF_TOKEN may be sent there). */
  huggingFace: boolean;
}

/** Quantisation type `pull <id>` takes when none is given: the usual default (node-llama-cpp, ollama). */
export const DEFAULT_PULL_QUANT: QuantType = "Q4_K_M";

/**
 * Base URL of the Hugging Face hub: `$HF_ENDPOINT` (the variable huggingface_hub and the HF CLI honour, used
 * for mirrors) or https://huggingface.co; without a trailing slash.
 */
export function hfEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT?.trim() || "https://huggingface.co").replace(/\/+$/, "");
}

const FIX =
  "give a catalogue id (see `clawbox recommend`), hf:<user>/<repo>/<file>.gguf[#branch], hf:<user>/<repo>:<QUANT> or an https:// URL of a .gguf file";

/**
 * Resolves a pull argument. Throws UserError (`invalid_model_source`) for anything else, for an `hf:user/repo:QUANT`
 * or `id:QUANT` the catalogue does not list, and for file names that are not plain `*.gguf` names.
 */
export function resolveModelSource(
  input: string,
  catalogue: CatalogueModel[],
  env: NodeJS.ProcessEnv = process.env,
): ModelSource {
  const text = input.trim();
  if (text.startsWith("hf:")) return fromHf(text, catalogue, env);
  if (/^https?:\/\//i.test(text)) return fromUrl(text, catalogue, env);
  return fromCatalogueId(text, catalogue, env);
}

function fromHf(text: string, catalogue: CatalogueModel[], env: NodeJS.ProcessEnv): ModelSource {
  const [body = "", branch = "main", ...extra] = text.slice(3).split("#");
  if (extra.length > 0 || !/^[\w.\-/]+$/.test(branch))
    throw new UserError(`"${text}" has an invalid #branch`, {
      code: ErrorCode.INVALID_MODEL_SOURCE,
      fix: FIX,
    });
  const byQuant = /^([\w.-]+)\/([\w.-]+):([A-Za-z0-9_]+)$/.exec(body);
  if (byQuant) {
    const [, user, repo, quant = ""] = byQuant;
    const prefix = `hf:${user}/${repo}/`;
    for (const model of catalogue) {
      const file = model.files.find((f) => f.uri.startsWith(prefix) && f.quant === quant.toUpperCase());
      if (file) return fromCatalogueFile(model, file, env, branch);
    }
    throw new UserError(`the catalogue has no ${quant} file in ${user}/${repo}`, {
      code: ErrorCode.INVALID_MODEL_SOURCE,
      fix: `name the file instead: hf:${user}/${repo}/<file>.gguf`,
    });
  }
  const byFile = /^([\w.-]+)\/([\w.-]+)\/(.+\.gguf)$/i.exec(body);
  if (!byFile)
    throw new UserError(`"${text}" is not an hf: model URI`, {
      code: ErrorCode.INVALID_MODEL_SOURCE,
      fix: FIX,
    });
  const [, user, repo, path = ""] = byFile;
  const known = findByUri(catalogue, `hf:${user}/${repo}/${path}`);
  if (known) return fromCatalogueFile(known.model, known.file, env, branch);
  return {
    url: hfFileUrl(env, `${user}/${repo}`, branch, path),
    fileName: safeFileName(path.split("/").pop() ?? "", text),
    huggingFace: true,
  };
}

function fromUrl(text: string, catalogue: CatalogueModel[], env: NodeJS.ProcessEnv): ModelSource {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(`"${text}" is not a valid URL`, { code: ErrorCode.INVALID_MODEL_SOURCE, fix: FIX });
  }
  const last = decodeURIComponent(url.pathname.split("/").pop() ?? "");
  const fileName = safeFileName(last, text);
  const known = catalogue
    .flatMap((model) => model.files.map((file) => ({ model, file })))
    .find((k) => k.file.fileName === fileName);
  return {
    url: url.toString(),
    fileName,
    huggingFace: url.origin === new URL(hfEndpoint(env)).origin,
    ...(known
      ? {
          expectedBytes: known.file.fileBytes,
          sha256: known.file.sha256,
          modelId: known.model.id,
          quant: known.file.quant,
        }
      : {}),
  };
}

function fromCatalogueId(text: string, catalogue: CatalogueModel[], env: NodeJS.ProcessEnv): ModelSource {
  const [id = "", quantText] = text.split(":");
  const model = catalogue.find((m) => m.id === id.toLowerCase());
  if (!model)
    throw new UserError(`"${text}" is not a catalogue model, an hf: URI or a URL`, {
      code: ErrorCode.INVALID_MODEL_SOURCE,
      fix: FIX,
    });
  const quant = (quantText ?? DEFAULT_PULL_QUANT).toUpperCase();
  const file = model.files.find((f) => f.quant === quant);
  if (!file)
    throw new UserError(`${model.id} has no ${quant} file in the catalogue`, {
      code: ErrorCode.INVALID_MODEL_SOURCE,
      fix: `use one of: ${model.files.map((f) => `${model.id}:${f.quant}`).join(", ")}`,
    });
  return fromCatalogueFile(model, file, env, "main");
}

function fromCatalogueFile(
  model: CatalogueModel,
  file: CatalogueFile,
  env: NodeJS.ProcessEnv,
  branch: string,
): ModelSource {
  const [user, repo, ...path] = file.uri.slice("hf:".length).split("/");
  return {
    url: hfFileUrl(env, `${user}/${repo}`, branch, path.join("/")),
    fileName: safeFileName(file.fileName, file.uri),
    expectedBytes: file.fileBytes,
    ...(file.sha256 ? { sha256: file.sha256 } : {}),
    modelId: model.id,
    quant: file.quant,
    huggingFace: true,
  };
}

function findByUri(catalogue: CatalogueModel[], uri: string) {
  for (const model of catalogue) {
    const file = model.files.find((f) => f.uri === uri);
    if (file) return { model, file };
  }
  return undefined;
}

/** `<endpoint>/<user>/<repo>/resolve/<branch>/<path>` with each path segment URL-encoded. */
function hfFileUrl(env: NodeJS.ProcessEnv, repo: string, branch: string, path: string): string {
  const enc = (p: string) => p.split("/").map(encodeURIComponent).join("/");
  return `${hfEndpoint(env)}/${enc(repo)}/resolve/${enc(branch)}/${enc(path)}`;
}

/** A plain `*.gguf` file name (no directories, no leading dot, no control characters). */
function safeFileName(name: string, from: string): string {
  const control = [...name].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20);
  if (!/\.gguf$/i.test(name) || name.startsWith(".") || /[/\\]/.test(name) || control)
    throw new UserError(`"${from}" does not name a .gguf file`, {
      code: ErrorCode.INVALID_MODEL_SOURCE,
      fix: FIX,
    });
  return name;
}
