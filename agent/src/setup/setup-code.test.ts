import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import {
  ensureSetupCode,
  formatSetupCode,
  generateSetupCode,
  normaliseSetupCode,
  readSetupCode,
  removeSetupCode,
  SETUP_CODE_ALPHABET,
  setupCodePath,
} from "./setup-code.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-code-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("setup code", () => {
  it("has 8 characters without look-alikes and varies", () => {
    expect(SETUP_CODE_ALPHABET).not.toMatch(/[0O1I]/);
    const codes = new Set(Array.from({ length: 200 }, generateSetupCode));
    for (const c of codes) expect(c).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    expect(codes.size).toBe(200);
  });

  it("is generated once, stored with mode 0600 and kept across calls", () => {
    expect(readSetupCode(dir)).toBeNull();
    const code = ensureSetupCode(dir);
    expect(statSync(setupCodePath(dir)).mode & 0o777).toBe(0o600);
    expect(ensureSetupCode(dir)).toBe(code);
    expect(readSetupCode(dir)).toBe(code);
    removeSetupCode(dir);
    expect(readSetupCode(dir)).toBeNull();
    removeSetupCode(dir);
  });

  it("refuses a file that holds something else", () => {
    writeFileSync(setupCodePath(dir), "hello\n");
    expect(() => readSetupCode(dir)).toThrow(UserError);
  });

  it("accepts the code as typed: lower case, grouped", () => {
    expect(normaliseSetupCode("abcd-efgh")).toBe("ABCDEFGH");
    expect(normaliseSetupCode(" AB CD EF GH ")).toBe("ABCDEFGH");
    expect(formatSetupCode("ABCDEFGH")).toBe("ABCD-EFGH");
  });
});
