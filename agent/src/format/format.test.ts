import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { formatFileSize, formatMemory } from "./bytes.js";
import { formatTable, padColumns } from "./table.js";

describe("byte formatting", () => {
  it("shows memory in IEC units and files and disks in SI units", () => {
    expect(formatMemory(8 * 1024 ** 3)).toBe("8 GiB");
    expect(formatMemory(1536)).toBe("1.5 KiB");
    expect(formatFileSize(4_680_000_000)).toBe("4.68 GB");
    expect(formatFileSize(986_000_000)).toBe("986 MB");
    expect(formatFileSize(512)).toBe("512 B");
  });
});

describe("text tables", () => {
  it("aligns columns by display width, so Chinese text lines up", () => {
    const rows = [
      ["HOST", "MODEL", "HEALTH"],
      ["客厅-pi", "通义千问 0.5B", "ok"],
      ["office-pi", "qwen2.5-1.5b", "degraded"],
    ];
    const lines = formatTable(rows).split("\n");
    // each cell starts at the same terminal column on every row (CJK characters are two columns wide)
    for (const column of [1, 2]) {
      const starts = lines.map((line, r) =>
        stringWidth(line.slice(0, line.indexOf(rows[r]?.[column] ?? ""))),
      );
      expect(new Set(starts).size, `column ${column} starts at ${starts}`).toBe(1);
    }
    expect(padColumns("通义", 6)).toBe("通义  ");
    expect(padColumns("ab", 6)).toBe("ab    ");
  });
});
