import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { writeFileAtomic } from "../config/atomic-write.js";

/**
 * Writes `file` atomically (temp + fsync + rename, config/atomic-write.ts) only when its content or mode
 * differs, so importing the same seed twice changes nothing (provisioning/README.md, "apply
 * idempotently"). With `ownerOf`, a root caller gives the file (and any folder it creates) the owner and
 * group of that folder, e.g. /etc/clawbox → clawbox. Returns true when it wrote. Throws the fs error.
 */
export function writeIfChanged(
  file: string,
  content: string,
  opts: { mode: number; ownerOf?: string; dirMode?: number },
): boolean {
  const owner = opts.ownerOf && existsSync(opts.ownerOf) ? statSync(opts.ownerOf) : null;
  const dir = dirname(file);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: opts.dirMode ?? 0o755 });
    if (owner && process.getuid?.() === 0) chownSync(dir, owner.uid, owner.gid);
  }
  if (existsSync(file) && lstatSync(file).isFile()) {
    const st = statSync(file);
    const sameOwner = !owner || process.getuid?.() !== 0 || (st.uid === owner.uid && st.gid === owner.gid);
    if ((st.mode & 0o777) === opts.mode && sameOwner && readFileSync(file, "utf8") === content) return false;
  }
  writeFileAtomic(file, content, { mode: opts.mode });
  if (owner && process.getuid?.() === 0) chownSync(file, owner.uid, owner.gid);
  return true;
}
