import { statfs } from "node:fs/promises";
import { dirname, resolve } from "node:path";

/**
 * Free bytes for an unprivileged process on the filesystem that holds `path` (statfs `bavail × bsize`,
 * i.e. excluding the root-reserved blocks). When `path` does not exist yet (a fresh device has no models
 * folder), its nearest existing parent is measured instead; the returned `path` says which.
 * Throws only if not even "/" can be measured (no statfs support).
 */
export async function diskFree(path: string): Promise<{ path: string; freeBytes: number }> {
  let p = resolve(path);
  for (;;) {
    try {
      const s = await statfs(p);
      return { path: p, freeBytes: Number(s.bavail) * Number(s.bsize) };
    } catch (err) {
      const parent = dirname(p);
      if (parent === p) throw err;
      p = parent;
    }
  }
}
