import { randomBytes } from "node:crypto";
import {
  chownSync,
  closeSync,
  fsyncSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Replaces `file` with `data` so that a power cut leaves either the old or the new content, never a mix:
 * write a temp file in the same folder (same filesystem, so rename is atomic), fsync it, rename it over
 * `file`, then fsync the folder so the rename itself is durable (POSIX rename(2) + fsync(2) semantics).
 * `mode` is the new file's permission bits (default 0o644; secrets use 0o600), applied at creation so
 * the content is never readable with wider permissions. Throws the underlying fs error (ENOENT when the
 * folder does not exist, EACCES, ENOSPC); the temp file is removed on failure.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: { mode?: number } = {}): void {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fd: number | null = openSync(tmp, "wx", opts.mode ?? 0o644);
  try {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
    throw err;
  }
  fsyncDir(dir);
}

/** fsyncs a folder so a rename/create inside it survives a power cut. Ignored where the OS refuses (EISDIR/EINVAL on some filesystems). */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EISDIR" && code !== "EPERM") throw err;
  } finally {
    closeSync(fd);
  }
}

/**
 * writeFileAtomic with mode 0600 for a file of the agent's own (data dir, config folder): written by root
 * (an operator's `sudo …`, the fleet playbooks), it gets its folder's owner, so the agent's user can still
 * read and replace it. Throws like writeFileAtomic.
 */
export function writeOwnFileAtomic(file: string, data: string | Uint8Array): void {
  writeFileAtomic(file, data, { mode: 0o600 });
  if (process.getuid?.() === 0) {
    const folder = statSync(dirname(file));
    chownSync(file, folder.uid, folder.gid);
  }
}
