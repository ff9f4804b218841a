/**
 * The model store: a folder of GGUF files (`<dataDir>/models`). Downloads and imports land there atomically;
 * `*.partial` files (unfinished downloads) are never listed or resolved.
 */

import { createHash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { copyFile, mkdir, open, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import { basename, isAbsolute, join, resolve } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { findByFileName } from "./catalogue.js";
import {
  type DownloadProgress,
  type DownloadResult,
  downloadFile,
  fsyncDir,
  statfsFreeBytes,
} from "./download.js";
import { DEFAULT_PULL_QUANT, resolveModelSource } from "./hf-uri.js";
import type { CatalogueModel, QuantType } from "./types.js";
import { QUANT_TYPES } from "./types.js";

/** One GGUF file in the store. */
export interface StoredModel {
  /** File name, e.g. "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf". */
  name: string;
  path: string;
  bytes: number;
  /** ISO 8601 modification time. */
  modifiedAt: string;
  /** Catalogue id and quantisation type when the catalogue lists this file name, else null. */
  modelId: string | null;
  quant: QuantType | null;
}

/** An unfinished download (`<name>.partial`). */
export interface PartialDownload {
  name: string;
  bytes: number;
}

export interface ModelStoreDeps {
  catalogue: CatalogueModel[];
  /** Free bytes of the filesystem holding a folder (default statfs). */
  freeDiskBytes?: (dir: string) => Promise<number>;
  fetch?: typeof fetch;
  /** For HF_ENDPOINT and HF_TOKEN (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface PullOptions {
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Expected SHA-256 (overrides the catalogue's). */
  sha256?: string;
  retries?: number;
  retryDelayMs?: number;
}

const GGUF_MAGIC = Buffer.from("GGUF", "ascii");

/**
 * Throws UserError (`not_gguf`) unless `file` starts with the GGUF magic and a supported version (1–3);
 * with `fullHeader`, also parses the whole header (metadata) with node-llama-cpp's readGgufFileInfo.
 */
export async function assertGguf(file: string, fullHeader = false): Promise<void> {
  const fh = await open(file, "r");
  const head = Buffer.alloc(8);
  try {
    await fh.read(head, 0, 8, 0);
  } finally {
    await fh.close();
  }
  const version = head.readUInt32LE(4);
  const refuse = (why: string, cause?: unknown) =>
    new UserError(`${file} is not a GGUF model file (${why})`, {
      code: ErrorCode.NOT_GGUF,
      fix: "use a .gguf file made for llama.cpp (e.g. from a *-GGUF repository on Hugging Face)",
      cause,
    });
  if (!head.subarray(0, 4).equals(GGUF_MAGIC)) throw refuse("it does not start with the bytes GGUF");
  if (version < 1 || version > 3) throw refuse(`unsupported GGUF version ${version}`);
  if (fullHeader) {
    try {
      await readGgufFileInfo(file, { sourceType: "filesystem", readTensorInfo: true, logWarnings: false });
    } catch (err) {
      throw refuse(`its header is damaged: ${(err as Error).message}`, err);
    }
  }
}

export class ModelStore {
  constructor(
    /** The store folder, e.g. modelsDir(resolveDataDir()). Created on first write. */
    readonly dir: string,
    private readonly deps: ModelStoreDeps,
  ) {}

  /** GGUF files in the store, sorted by name; `.partial` files are left out. [] when the folder is missing. */
  async list(): Promise<StoredModel[]> {
    const names = await this.names();
    const out: StoredModel[] = [];
    for (const name of names.filter((n) => /\.gguf$/i.test(n)).sort()) {
      const path = join(this.dir, name);
      const s = await stat(path).catch(() => null);
      if (!s?.isFile()) continue;
      const known = findByFileName(this.deps.catalogue, name);
      out.push({
        name,
        path,
        bytes: s.size,
        modifiedAt: s.mtime.toISOString(),
        modelId: known?.model.id ?? null,
        quant: known?.file.quant ?? null,
      });
    }
    return out;
  }

  /** Unfinished downloads (resume them with `pull`). */
  async partials(): Promise<PartialDownload[]> {
    const out: PartialDownload[] = [];
    for (const n of (await this.names()).filter((x) => x.endsWith(".gguf.partial")).sort()) {
      const s = await stat(join(this.dir, n)).catch(() => null);
      if (s?.isFile()) out.push({ name: n.slice(0, -".partial".length), bytes: s.size });
    }
    return out;
  }

  /**
   * The path of a model to load: an existing `.gguf` file path, a file name in the store, or a catalogue id
   * (`id` or `id:QUANT`) whose file is in the store (without a quant: Q4_K_M if present, else the largest).
   * Throws UserError (`model_not_found`) with the fix "clawbox models pull …".
   */
  async resolve(idOrPath: string): Promise<string> {
    const asPath =
      isAbsolute(idOrPath) || idOrPath.includes("/") ? resolve(idOrPath) : join(this.dir, idOrPath);
    if (/\.gguf$/i.test(asPath)) {
      const s = await stat(asPath).catch(() => null);
      if (s?.isFile()) return asPath;
    }
    const [id = "", quant] = idOrPath.split(":");
    const model = this.deps.catalogue.find((m) => m.id === id.toLowerCase());
    if (model) {
      const have = (await this.list()).filter((s) => s.modelId === model.id);
      const pick = quant
        ? have.find((s) => s.quant === quant.toUpperCase())
        : (have.find((s) => s.quant === DEFAULT_PULL_QUANT) ??
          have.sort(
            (a, b) => QUANT_TYPES.indexOf(b.quant as QuantType) - QUANT_TYPES.indexOf(a.quant as QuantType),
          )[0]);
      if (pick) return pick.path;
    }
    throw new UserError(`model "${idOrPath}" is not in the model store ${this.dir}`, {
      code: ErrorCode.MODEL_NOT_FOUND,
      fix:
        model || !idOrPath.endsWith(".gguf")
          ? `clawbox models pull ${idOrPath}`
          : "check the path, or clawbox models import <file.gguf>",
    });
  }

  /**
   * Copies (or with `move`, moves) a local GGUF file into the store after checking its GGUF header.
   * Copy goes to `<name>.partial`, is fsynced and renamed into place. Throws UserError when the file is not
   * GGUF (`not_gguf`), is missing, or a model of that name is already stored (`model_exists`).
   */
  async import(file: string, opts: { move?: boolean } = {}): Promise<StoredModel> {
    const src = resolve(file);
    const s = await stat(src).catch(() => null);
    if (!s?.isFile())
      throw new UserError(`${src} does not exist or is not a file`, {
        code: ErrorCode.FILE_ERROR,
        fix: "check the path",
      });
    if (!/\.gguf$/i.test(src))
      throw new UserError(`${src} does not end in .gguf`, {
        code: ErrorCode.NOT_GGUF,
        fix: "import a .gguf model file",
      });
    await assertGguf(src, true);
    await mkdir(this.dir, { recursive: true });
    const name = basename(src);
    const dest = join(this.dir, name);
    if (await stat(dest).catch(() => null))
      throw new UserError(`the model store already has ${name}`, {
        code: ErrorCode.MODEL_EXISTS,
        fix: `remove it first: clawbox models rm ${name}`,
      });
    const moved = opts.move
      ? await rename(src, dest).then(
          () => true,
          () => false,
        )
      : false;
    if (!moved) {
      const tmp = `${dest}.partial`;
      await copyFile(src, tmp, constants.COPYFILE_FICLONE);
      const fh = await open(tmp, "r+");
      await fh.sync().finally(() => fh.close());
      await rename(tmp, dest);
      if (opts.move) await unlink(src);
    }
    await fsyncDir(this.dir);
    return (await this.list()).find((m) => m.name === name) as StoredModel;
  }

  /**
   * Removes a stored model by file name or catalogue id (as `resolve`), and its unfinished download if any.
   * A bare name of an unfinished download removes the `.partial` and its sidecar. Returns the removed names.
   * Throws UserError (`model_not_found`) when nothing matches.
   */
  async remove(name: string): Promise<string[]> {
    if (name.includes("/") || name.includes("\\"))
      throw new UserError(`"${name}" is a path, not a model name`, {
        code: ErrorCode.INVALID_USAGE,
        fix: "clawbox models list shows the names",
      });
    const removed: string[] = [];
    const partial = join(this.dir, `${name}.partial`);
    if (await stat(partial).catch(() => null)) {
      await rm(partial, { force: true });
      await rm(`${partial}.json`, { force: true });
      removed.push(`${name}.partial`);
    }
    const path = await this.resolve(name).catch((err) => {
      if (removed.length > 0) return null;
      throw err;
    });
    if (path && resolve(path).startsWith(resolve(this.dir))) {
      await rm(path);
      removed.push(basename(path));
    }
    return removed;
  }

  /**
   * Downloads a model into the store: `hf:user/repo/file.gguf[#branch]`, `hf:user/repo:QUANT`, an
   * http(s) URL or a catalogue id (see resolveModelSource). Resumes an earlier partial download, checks free
   * disk first, verifies the SHA-256 (`opts.sha256` or the catalogue's) and the GGUF magic, then moves the
   * file into place. Returns the stored model; a file already present is returned without downloading (its
   * SHA-256 checked when one is known).
   * Sends `Authorization: Bearer $HF_TOKEN` only to the Hugging Face endpoint. Errors: see downloadFile.
   */
  async pull(
    uriOrId: string,
    opts: PullOptions = {},
  ): Promise<StoredModel & { download: DownloadResult | null }> {
    const env = this.deps.env ?? process.env;
    const source = resolveModelSource(uriOrId, this.deps.catalogue, env);
    await mkdir(this.dir, { recursive: true });
    const dest = join(this.dir, source.fileName);
    let download: DownloadResult | null = null;
    const expected = (opts.sha256 ?? source.sha256)?.toLowerCase();
    if (await stat(dest).catch(() => null)) {
      if (expected && (await sha256File(dest)) !== expected)
        throw new UserError(`${dest} is already in the store but its SHA-256 is not ${expected}`, {
          code: ErrorCode.SHA256_MISMATCH,
          fix: `remove it (clawbox models rm ${source.fileName}) and pull again`,
        });
    } else {
      download = await downloadFile({
        url: source.url,
        dest,
        expectedBytes: source.expectedBytes,
        sha256: expected,
        headers: source.huggingFace && env.HF_TOKEN ? { Authorization: `Bearer ${env.HF_TOKEN}` } : {},
        onProgress: opts.onProgress,
        signal: opts.signal,
        freeDiskBytes: this.deps.freeDiskBytes ?? statfsFreeBytes,
        validate: (p) => assertGguf(p),
        retries: opts.retries,
        retryDelayMs: opts.retryDelayMs,
        fetch: this.deps.fetch,
      });
    }
    const stored = (await this.list()).find((m) => m.name === source.fileName) as StoredModel;
    return { ...stored, download };
  }

  private async names(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
  }
}

/** SHA-256 of a file, lower-case hex (streamed). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
