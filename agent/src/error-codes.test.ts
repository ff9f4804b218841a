import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CATALOGUE, ErrorCode, isErrorCode } from "./error-codes.js";

const SRC = resolve(import.meta.dirname);
const WEBUI = resolve(SRC, "..", "..", "webui", "src");
/** The catalogue's style: lowercase snake_case, as OpenAI's own codes (see error-codes.ts). */
const STYLE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

function sourceFiles(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => ext.test(f) && !/\.test\.tsx?$/.test(f))
    .map((f) => join(dir, f));
}

/** `[file, line, text]` of every line of `files` matching `pattern`. */
function grep(files: string[], pattern: RegExp): string[] {
  const hits: string[] = [];
  for (const file of files) {
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (pattern.test(line)) hits.push(`${relative(SRC, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  return hits;
}

const agentFiles = sourceFiles(SRC, /\.ts$/).filter((f) => !f.endsWith("error-codes.ts"));

describe("the error code catalogue", () => {
  it("holds every code once, in one style, with a status and a meaning", () => {
    const codes = Object.keys(ERROR_CATALOGUE);
    expect(codes.filter((c) => !STYLE.test(c))).toEqual([]);
    expect(new Set(codes).size).toBe(codes.length);
    const values = Object.values(ErrorCode);
    expect(new Set(values).size).toBe(values.length);
    expect([...values].sort()).toEqual([...codes].sort());
    for (const [name, code] of Object.entries(ErrorCode)) expect(name).toBe(code.toUpperCase());
    for (const [code, info] of Object.entries(ERROR_CATALOGUE)) {
      expect(info.status, code).toBeGreaterThanOrEqual(400);
      expect(info.status, code).toBeLessThan(600);
      expect(info.meaning.length, code).toBeGreaterThan(10);
    }
  });

  it("uses OpenAI's own codes for the states OpenAI names", () => {
    // platform.openai.com/docs/guides/error-codes: clients match on these exact strings
    for (const code of ["invalid_api_key", "model_not_found", "context_length_exceeded"]) {
      expect(isErrorCode(code), code).toBe(true);
    }
    expect(isErrorCode("E_NO_MODEL")).toBe(false);
    expect(isErrorCode("toString")).toBe(false);
  });

  it("is the only source of codes: throw and reply sites name ErrorCode constants, not string literals", () => {
    // a literal here would bypass the catalogue (and its style); the compiler checks the constants exist
    expect(grep(agentFiles, /\bcode: ["'`][^"'`]+["'`]/)).toEqual([]);
    // comparisons with a catalogue code (Node's "ENOENT" or the Slack SDK's own codes are not ours)
    const compared = grep(agentFiles, /\.code [!=]== ["'`]/).filter((hit) =>
      [...hit.matchAll(/\.code [!=]== ["'`]([^"'`]+)["'`]/g)].some((m) => isErrorCode(m[1])),
    );
    expect(compared).toEqual([]);
    expect(grep(agentFiles, /["'`]E_[A-Z][A-Z0-9_]*["'`]/)).toEqual([]);
  });

  it("has no entry that nothing emits", () => {
    const all = agentFiles.map((f) => readFileSync(f, "utf8")).join("\n");
    const unused = Object.keys(ErrorCode).filter((name) => !all.includes(`ErrorCode.${name}`));
    expect(unused).toEqual([]);
  });

  it("is what the web app matches on", () => {
    const matched = grep(sourceFiles(WEBUI, /\.tsx?$/), /code [!=]== ["']/).flatMap((hit) =>
      [...hit.matchAll(/code [!=]== ["']([^"']+)["']/g)].map((m) => m[1] ?? ""),
    );
    expect(matched.length).toBeGreaterThan(0);
    expect(matched.filter((c) => !isErrorCode(c))).toEqual([]);
  });
});
