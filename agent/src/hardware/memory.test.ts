import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseMeminfo } from "./memory.js";

describe("parseMeminfo", () => {
  it("converts MemTotal, MemAvailable and SwapTotal from kB to bytes", () => {
    const text = readFileSync(join(import.meta.dirname, "testdata", "raspberry-pi-5-8gb.meminfo"), "utf8");
    expect(parseMeminfo(text)).toEqual({
      totalBytes: 8245200 * 1024,
      availableBytes: 7864112 * 1024,
      swapBytes: 524272 * 1024,
    });
  });

  it("falls back to MemFree + Buffers + Cached on kernels without MemAvailable", () => {
    const m = parseMeminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 40 kB\n");
    expect(m).toEqual({ totalBytes: 1024000, availableBytes: 150 * 1024, swapBytes: 0 });
  });

  it("returns null for a text without MemTotal", () => {
    expect(parseMeminfo("")).toBeNull();
  });
});
