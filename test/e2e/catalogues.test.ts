import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { en } from "../../webui/src/i18n/en.js";
import { zhCN } from "../../webui/src/i18n/zh-CN.js";

const SRC = join(import.meta.dirname, "..", "..", "webui", "src");
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".tsx") ? [join(dir, e.name)] : [],
  );
}

describe("web app message catalogues", () => {
  it("zh-CN has every English key, with the same placeholders, and no untranslated English", () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(en)) {
      const zh = zhCN[key as keyof typeof en];
      expect(placeholders(zh), key).toEqual(placeholders(text));
      if (text.length > 12 && /[a-z]{4}/.test(text) && key !== "model.numbers")
        expect(zh, key).not.toBe(text);
    }
  });

  it("every literal key used by a component exists in the catalogue", () => {
    const used = new Set<string>();
    for (const file of sources(SRC)) {
      for (const m of readFileSync(file, "utf8").matchAll(/\bt\("([\w.-]+)"/g)) used.add(m[1] as string);
    }
    expect(used.size).toBeGreaterThan(50);
    for (const key of used) expect(Object.keys(en), key).toContain(key);
  });

  it("components hold no visible English sentences outside the catalogues", () => {
    for (const file of sources(SRC)) {
      const text = readFileSync(file, "utf8");
      // JSX text children: >Words words words< (three or more words) would be untranslated text
      const hits = [...text.matchAll(/>\s*([A-Z][a-z]+(?: [a-z]+){2,})\s*</g)].map((m) => m[1]);
      expect(hits, file).toEqual([]);
    }
  });
});
