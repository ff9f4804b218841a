import { describe, expect, it } from "vitest";
import { measure, splitText } from "./chunker.js";

const para = (n: number, word = "lorem") =>
  Array.from({ length: n }, (_, i) => `${word}${i} ipsum dolor sit amet.`).join(" ");

describe("splitText", () => {
  it("keeps a short text whole and drops empty text", () => {
    expect(splitText("hello", { maxLength: 100 })).toEqual(["hello"]);
    expect(splitText("  \n ", { maxLength: 100 })).toEqual([]);
  });

  it("splits at paragraph boundaries when they fit, every chunk within the limit", () => {
    const a = para(20, "a");
    const b = para(20, "b");
    const c = para(20, "c");
    const text = `${a}\n\n${b}\n\n${c}`;
    const chunks = splitText(text, { maxLength: a.length + b.length + 10 });
    expect(chunks[0]).toBe(`${a}\n\n${b}`);
    expect(chunks[1]).toBe(c);
  });

  it("falls back to sentence boundaries and loses no words", () => {
    const text = para(300);
    const chunks = splitText(text, { maxLength: 2000 });
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(2000);
      expect(c.endsWith(".")).toBe(true);
    }
    expect(chunks.join(" ")).toBe(text);
  });

  it("never cuts inside a surrogate pair or a UTF-8 character (IRC bytes)", () => {
    const text = "😀".repeat(500) + "中文".repeat(300);
    for (const unit of ["chars", "bytes"] as const) {
      const chunks = splitText(text, { maxLength: 350, unit });
      for (const c of chunks) {
        expect(measure(c, unit)).toBeLessThanOrEqual(350);
        expect(c).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      }
      expect(chunks.join("")).toBe(text);
    }
  });

  it("moves a code fence to the next chunk instead of cutting it", () => {
    const prose = para(10);
    const code = "```js\n" + "const x = 1;\n".repeat(10) + "```";
    const chunks = splitText(`${prose} ${code}`, { maxLength: prose.length + 40 });
    expect(chunks[0]).toBe(prose);
    expect(chunks[1]).toBe(code);
  });

  it("closes and reopens a fence longer than one message", () => {
    const code = "```\n" + "let value = compute();\n".repeat(40) + "```";
    const chunks = splitText(code, { maxLength: 200 });
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(200);
      expect(c.startsWith("```")).toBe(true);
      expect(c.endsWith("```")).toBe(true);
    }
    const body = chunks.map((c) => c.replace(/^```\n?/, "").replace(/\n?```$/, "")).join("\n");
    expect(body.split("let value").length - 1).toBe(40);
  });

  it("singleLine makes every line its own message (IRC)", () => {
    expect(splitText("one\n\ntwo\nthree", { maxLength: 350, unit: "bytes", singleLine: true })).toEqual([
      "one",
      "two",
      "three",
    ]);
  });

  it("rejects a limit too small to be useful", () => {
    expect(() => splitText("x", { maxLength: 3 })).toThrow(RangeError);
  });
});
