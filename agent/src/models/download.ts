/**
 * Resumable, verified, atomic HTTP download of one model file (Node's fetch; no extra package).
 * `<dest>.partial` holds the bytes so far and `<dest>.partial.json` the URL, validators and expected size;
 * only a complete, verified file is renamed to `<dest>`, so a partial file is never listed or loaded.
 */

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readFile, rename, rm, stat, statfs, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

export interface DownloadProgress {
  /** Bytes on disk so far (a resumed partial included). */
  downloadedBytes: number;
  /** Size of the whole file when the server or catalogue says it, else null. */
  totalBytes: number | null;
  /** Average rate of this session, bytes/s. */
  bytesPerSecond: number;
  /** Remaining seconds at that rate, null when unknown. */
  etaSeconds: number | null;
}

export interface DownloadOptions {
  url: string;
  /** Final absolute path; the download lives at `<dest>.partial` until verified. */
  dest: string;
  /** Size from the catalogue, used for the disk check when the server sends no length. */
  expectedBytes?: number;
  /** Expected SHA-256, lower-case hex: the file is refused on mismatch. */
  sha256?: string;
  /** Extra request headers (e.g. Authorization for gated Hugging Face repos; never logged). */
  headers?: Record<string, string>;
  onProgress?: (p: DownloadProgress) => void;
  /** Aborting stops the download and keeps the partial file for resume. */
  signal?: AbortSignal;
  /** Free bytes on the filesystem holding `dir` (default: statfs). Injected by tests. */
  freeDiskBytes?: (dir: string) => Promise<number>;
  /** Checks the finished partial file before it is moved into place (e.g. the GGUF magic); throws to refuse. */
  validate?: (partialPath: string) => Promise<void>;
  /** Automatic resumes after a dropped connection (default 2), waiting `retryDelayMs` × attempt (default 1000). */
  retries?: number;
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  /** SHA-256 of the file, lower-case hex. */
  sha256: string;
  /** True when some bytes came from an earlier partial download. */
  resumed: boolean;
}

interface Sidecar {
  url: string;
  etag?: string;
  lastModified?: string;
  totalBytes?: number;
}

/** Free bytes for an unprivileged user on the filesystem holding `dir` (statfs bavail × bsize). */
export async function statfsFreeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/**
 * Downloads `opts.url` to `opts.dest`.
 * - Resume: an existing `<dest>.partial` of the same URL is continued with `Range: bytes=N-` and `If-Range`
 *   (ETag, or Last-Modified); a 206 appends, a 200 (no range support or a changed file) restarts cleanly.
 * - Free disk is checked before any byte is written (Content-Length or the catalogue size vs statfs).
 * - SHA-256 is computed while streaming (the existing partial is hashed first) and compared when known.
 * - The finished file is fsynced, validated, renamed into place and the directory fsynced.
 * Throws UserError: `no_disk` (numbers named), `http_error` (status), `sha256_mismatch` (file deleted),
 * `download_aborted` / `download_interrupted` (partial kept; running again resumes).
 */
export async function downloadFile(opts: DownloadOptions): Promise<DownloadResult> {
  const retries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    try {
      return await downloadOnce(opts);
    } catch (err) {
      const interrupted = err instanceof UserError && err.code === ErrorCode.DOWNLOAD_INTERRUPTED;
      if (!interrupted || attempt >= retries || opts.signal?.aborted) throw err;
      await sleep((opts.retryDelayMs ?? 1000) * (attempt + 1), undefined, { signal: opts.signal }).catch(
        () => {},
      );
    }
  }
}

async function downloadOnce(opts: DownloadOptions): Promise<DownloadResult> {
  const doFetch = opts.fetch ?? fetch;
  const partial = `${opts.dest}.partial`;
  const sidecarPath = `${partial}.json`;
  const freeDisk = opts.freeDiskBytes ?? statfsFreeBytes;
  const dir = dirname(opts.dest);

  let sidecar = await readSidecar(sidecarPath);
  let start = sidecar?.url === opts.url ? await sizeOf(partial) : 0;
  if (start === 0) {
    await rm(partial, { force: true });
    sidecar = null;
  }
  // before any request: the catalogue size must fit
  if (opts.expectedBytes !== undefined) await checkDisk(opts.expectedBytes - start, dir, freeDisk, opts.url);

  const headers: Record<string, string> = { ...opts.headers };
  if (start > 0) {
    headers.Range = `bytes=${start}-`;
    const validator = sidecar?.etag && !sidecar.etag.startsWith("W/") ? sidecar.etag : sidecar?.lastModified;
    if (validator) headers["If-Range"] = validator;
  }
  let res: Response;
  try {
    res = await doFetch(opts.url, { headers, signal: opts.signal, redirect: "follow" });
  } catch (err) {
    throw stopped(err, opts, start, sidecar?.totalBytes ?? null);
  }

  let totalBytes: number | null;
  if (res.status === 206) {
    const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
    if (!range || Number(range[1]) !== start) {
      await res.body?.cancel();
      await rm(partial, { force: true });
      await rm(sidecarPath, { force: true });
      return downloadOnce(opts); // a range we did not ask for: start over
    }
    totalBytes = range[2] === "*" ? (sidecar?.totalBytes ?? null) : Number(range[2]);
  } else if (res.status === 200) {
    start = 0; // no range support, or the file changed (If-Range): restart cleanly
    const len = res.headers.get("content-length");
    totalBytes = len !== null ? Number(len) : (opts.expectedBytes ?? null);
  } else if (res.status === 416 && start > 0 && sidecar?.totalBytes === start) {
    await res.body?.cancel();
    totalBytes = start; // the partial is already complete
  } else {
    await res.body?.cancel();
    if (res.status === 416) await rm(partial, { force: true });
    throw httpError(res.status, opts.url);
  }
  if (totalBytes !== null) {
    try {
      await checkDisk(totalBytes - start, dir, freeDisk, opts.url);
    } catch (err) {
      await res.body?.cancel();
      throw err;
    }
  }

  const etag = res.headers.get("etag") ?? undefined;
  const lastModified = res.headers.get("last-modified") ?? undefined;
  await writeFile(
    sidecarPath,
    JSON.stringify({ url: opts.url, etag, lastModified, totalBytes: totalBytes ?? undefined }),
  );

  const hash = createHash("sha256");
  if (start > 0) for await (const chunk of createReadStream(partial)) hash.update(chunk as Buffer);
  const fh = await open(partial, start > 0 ? "a" : "w");
  let downloaded = start;
  const began = Date.now();
  const report = () => {
    const seconds = Math.max(0.001, (Date.now() - began) / 1000);
    const bytesPerSecond = (downloaded - start) / seconds;
    const etaSeconds =
      totalBytes !== null && bytesPerSecond > 0
        ? Math.max(0, (totalBytes - downloaded) / bytesPerSecond)
        : null;
    opts.onProgress?.({ downloadedBytes: downloaded, totalBytes, bytesPerSecond, etaSeconds });
  };
  try {
    if (res.status !== 416 && res.body) {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        await fh.write(chunk);
        hash.update(chunk);
        downloaded += chunk.byteLength;
        report();
      }
    }
    if (totalBytes !== null && downloaded !== totalBytes)
      throw new Error(`connection closed after ${downloaded} of ${totalBytes} bytes`);
    await fh.sync();
  } catch (err) {
    throw stopped(err, opts, downloaded, totalBytes);
  } finally {
    await fh.close();
  }
  report();

  const digest = hash.digest("hex");
  if (opts.sha256 && digest !== opts.sha256.toLowerCase()) {
    await rm(partial, { force: true });
    await rm(sidecarPath, { force: true });
    throw new UserError(
      `SHA-256 of ${opts.url} is ${digest}, expected ${opts.sha256.toLowerCase()}; the file was deleted`,
      {
        code: ErrorCode.SHA256_MISMATCH,
        fix: "pull it again; if it fails again, check the --sha256 value or the source",
      },
    );
  }
  if (opts.validate) {
    try {
      await opts.validate(partial);
    } catch (err) {
      await rm(partial, { force: true });
      await rm(sidecarPath, { force: true });
      throw err;
    }
  }
  await rename(partial, opts.dest);
  await fsyncDir(dir);
  await rm(sidecarPath, { force: true });
  return { path: opts.dest, bytes: downloaded, sha256: digest, resumed: start > 0 };
}

async function checkDisk(
  needed: number,
  dir: string,
  freeDisk: (dir: string) => Promise<number>,
  url: string,
) {
  if (needed <= 0) return;
  const free = await freeDisk(dir);
  if (needed > free)
    throw new UserError(
      `not enough disk space for ${url}: it needs ${needed} bytes (${(needed / 1e9).toFixed(2)} GB) more, ` +
        `${dir} has ${free} bytes (${(free / 1e9).toFixed(2)} GB) free`,
      {
        code: ErrorCode.NO_DISK,
        fix: "free disk space (clawbox models rm <name> removes unused models) or use a larger --data-dir",
      },
    );
}

function httpError(status: number, url: string): UserError {
  const fix =
    status === 401 || status === 403
      ? "the repository may be gated: accept its licence on huggingface.co and set HF_TOKEN"
      : status === 404
        ? "check the repository and file name (case matters)"
        : "try again later; the server or a proxy failed";
  return new UserError(`download of ${url} failed: HTTP ${status}`, { code: ErrorCode.HTTP_ERROR, fix });
}

/** The error for an aborted or broken transfer; the partial file and its sidecar stay for resume. */
function stopped(err: unknown, opts: DownloadOptions, downloaded: number, total: number | null): UserError {
  const where = `${downloaded}${total !== null ? ` of ${total}` : ""} bytes`;
  if (opts.signal?.aborted)
    return new UserError(`download stopped after ${where}; ${opts.dest}.partial is kept`, {
      code: ErrorCode.DOWNLOAD_ABORTED,
      fix: "run the same pull command again to resume",
      cause: err,
    });
  return new UserError(`download of ${opts.url} broke off after ${where}: ${(err as Error).message ?? err}`, {
    code: ErrorCode.DOWNLOAD_INTERRUPTED,
    fix: "run the same pull command again to resume from there",
    cause: err,
  });
}

async function readSidecar(path: string): Promise<Sidecar | null> {
  try {
    const value = JSON.parse(await readFile(path, "utf8")) as Sidecar;
    return typeof value.url === "string" ? value : null;
  } catch {
    return null;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** fsync a directory so a rename in it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
