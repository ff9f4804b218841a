import { readdir, readFile, readlink, stat } from "node:fs/promises";
import { basename, join } from "node:path";

/**
 * Read-only access to the kernel's text interfaces (/proc, /sys, /etc) under a root folder.
 * Detection code reads through this so tests can point it at a folder that mimics another
 * device's /proc and /sys (same file layout, real files, no mocks).
 * Every method resolves to null / [] / false instead of throwing when a file is missing or unreadable:
 * hardware that lacks a file simply lacks the feature.
 */
export class SysReader {
  /** `root` is prepended to every absolute path ("/" on a real device). */
  constructor(readonly root = "/") {}

  /** Absolute path of `path` under the root. */
  resolve(path: string): string {
    return this.root === "/" ? path : join(this.root, path);
  }

  /** File text, or null when it does not exist or cannot be read. */
  async text(path: string): Promise<string | null> {
    try {
      return await readFile(this.resolve(path), "utf8");
    } catch {
      return null;
    }
  }

  /** Trimmed file text with NUL bytes removed (device-tree strings end in NUL); null when absent or empty. */
  async line(path: string): Promise<string | null> {
    const t = await this.text(path);
    if (t === null) return null;
    const v = t.replace(/\0/g, "").trim();
    return v === "" ? null : v;
  }

  /** Integer value of a one-number file (decimal, or hex with 0x); null when absent or not a number. */
  async int(path: string): Promise<number | null> {
    const v = await this.line(path);
    if (v === null) return null;
    const n = v.startsWith("0x") ? Number.parseInt(v.slice(2), 16) : Number(v);
    return Number.isFinite(n) ? n : null;
  }

  /** Entry names of a folder, sorted; [] when absent. */
  async list(path: string): Promise<string[]> {
    try {
      return (await readdir(this.resolve(path))).sort();
    } catch {
      return [];
    }
  }

  /** Last path component of a symlink's target (e.g. the driver name behind `device/driver`); null if none. */
  async linkName(path: string): Promise<string | null> {
    try {
      return basename(await readlink(this.resolve(path)));
    } catch {
      return null;
    }
  }

  /** True when the path exists. */
  async exists(path: string): Promise<boolean> {
    try {
      await stat(this.resolve(path));
      return true;
    } catch {
      return false;
    }
  }
}
