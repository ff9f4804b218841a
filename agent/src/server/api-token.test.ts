import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import {
  ensureApiToken,
  generateApiToken,
  readApiToken,
  rotateApiToken,
  tokenPath,
  tokensEqual,
} from "./api-token.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-token-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("API token", () => {
  it("is cbx_ + 32 random bytes in base64url", () => {
    const a = generateApiToken();
    expect(a).toMatch(/^cbx_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(4), "base64url")).toHaveLength(32);
    expect(generateApiToken()).not.toBe(a);
  });

  it("is generated once, stored with mode 0600, and reused", () => {
    const dataDir = join(dir, "data");
    expect(readApiToken(dataDir)).toBeNull();
    const token = ensureApiToken(dataDir);
    expect(statSync(tokenPath(dataDir)).mode & 0o777).toBe(0o600);
    expect(ensureApiToken(dataDir)).toBe(token);
    expect(readApiToken(dataDir)).toBe(token);
    // the token and the device key it is sealed with; the file never holds the token in clear
    expect(readdirSync(dataDir).sort()).toEqual(["api-token", "device-key"]);
    expect(readFileSync(tokenPath(dataDir), "utf8")).not.toContain(token);
  });

  it("seals a plain token left by an older release without changing it", () => {
    const plain = generateApiToken();
    writeFileSync(tokenPath(dir), `${plain}\n`, { mode: 0o600 });
    expect(readApiToken(dir)).toBe(plain);
    expect(ensureApiToken(dir)).toBe(plain);
    expect(readFileSync(tokenPath(dir), "utf8")).toMatch(/^enc\.v1\./);
    expect(readApiToken(dir)).toBe(plain);
  });

  it("tightens a token file readable by others", () => {
    const token = ensureApiToken(dir);
    chmodSync(tokenPath(dir), 0o644);
    expect(ensureApiToken(dir)).toBe(token);
    expect(statSync(tokenPath(dir)).mode & 0o777).toBe(0o600);
  });

  it("rotates to a different token", () => {
    const old = ensureApiToken(dir);
    const fresh = rotateApiToken(dir);
    expect(fresh).not.toBe(old);
    expect(readApiToken(dir)).toBe(fresh);
  });

  it("refuses a file that holds no clawbox token", () => {
    writeFileSync(tokenPath(dir), "hunter2\n");
    expect(() => readApiToken(dir)).toThrow(UserError);
  });

  it("compares tokens of any length", () => {
    const t = generateApiToken();
    expect(tokensEqual(t, t)).toBe(true);
    expect(tokensEqual(`${t}x`, t)).toBe(false);
    expect(tokensEqual("", t)).toBe(false);
  });
});
