import stringWidth from "string-width";

/**
 * `text` padded with spaces to `columns` terminal columns. Counts display width (string-width): a CJK
 * character takes two columns and a combining mark none, where `String.padEnd` counts UTF-16 units and
 * misaligns every row with Chinese text in it.
 */
export function padColumns(text: string, columns: number): string {
  return text + " ".repeat(Math.max(0, columns - stringWidth(text)));
}

/**
 * Rows as an aligned text table: each column as wide as its widest cell (display width), two spaces between
 * columns, the last column unpadded, trailing spaces trimmed. The first row is usually the header.
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const count = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: count }, (_, i) =>
    Math.max(0, ...rows.map((r) => stringWidth(r[i] ?? ""))),
  );
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : padColumns(cell, widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
