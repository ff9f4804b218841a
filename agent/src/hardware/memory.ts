import type { MemoryInfo } from "./types.js";

/**
 * Parses /proc/meminfo text into MemoryInfo (bytes): MemTotal, MemAvailable, SwapTotal (the kernel prints
 * kB = 1024 bytes). Pure. Returns null when MemTotal is missing (not a Linux meminfo).
 * MemAvailable is missing only on kernels older than 3.14: then MemFree + Buffers + Cached is used.
 */
export function parseMeminfo(text: string): MemoryInfo | null {
  const kb = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([\w()]+):\s+(\d+)(?:\s*kB)?/.exec(line);
    if (m?.[1] && m[2]) kb.set(m[1], Number(m[2]) * 1024);
  }
  const totalBytes = kb.get("MemTotal");
  if (totalBytes === undefined) return null;
  const availableBytes =
    kb.get("MemAvailable") ?? (kb.get("MemFree") ?? 0) + (kb.get("Buffers") ?? 0) + (kb.get("Cached") ?? 0);
  return {
    totalBytes,
    availableBytes: Math.min(availableBytes, totalBytes),
    swapBytes: kb.get("SwapTotal") ?? 0,
  };
}
