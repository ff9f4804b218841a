import { describe, expect, it } from "vitest";
import { formatDuration, formatProgress, wrap } from "./format.js";

describe("format", () => {
  it("formats durations", () => {
    expect(formatDuration(51)).toBe("0:51");
    expect(formatDuration(3909)).toBe("1:05:09");
    expect(formatDuration(null)).toBe("?");
  });

  it("writes a progress line with bytes, percent, rate and ETA", () => {
    const line = formatProgress("m.gguf", {
      downloadedBytes: 412_300_000,
      totalBytes: 986_000_000,
      bytesPerSecond: 11_200_000,
      etaSeconds: 51.2,
    });
    expect(line).toBe("m.gguf  412 MB / 986 MB  41 %  11.2 MB/s  ETA 0:51");
    expect(
      formatProgress("m.gguf", { downloadedBytes: 5, totalBytes: null, bytesPerSecond: 1, etaSeconds: null }),
    ).toBe("m.gguf  5 B  1 B/s  ETA ?");
  });

  it("wraps text at the width with an indent", () => {
    const out = wrap("aaa bbb ccc ddd", 9, "  ");
    expect(out.split("\n")).toEqual(["  aaa bbb", "  ccc ddd"]);
  });
});
