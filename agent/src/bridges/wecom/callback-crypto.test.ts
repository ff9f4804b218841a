import { createDecipheriv, createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { WeComCrypto } from "./callback-crypto.js";

const AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const c = new WeComCrypto("QDG6eK", AES_KEY, "wx5823bf96d3bd56c7");

describe("WeCom callback crypto", () => {
  it("round-trips text, laid out as WeCom documents it (checked with raw AES-256-CBC)", () => {
    const xml = "<xml><Content><![CDATA[你好, clawbox]]></Content></xml>";
    const encrypted = c.encrypt(xml);
    expect(c.decrypt(encrypted)).toBe(xml);
    // Independently: key = Base64(key + "="), IV = key[0..16], no auto padding, 32-byte PKCS#7 blocks.
    const key = Buffer.from(`${AES_KEY}=`, "base64");
    const d = createDecipheriv("aes-256-cbc", key, key.subarray(0, 16)).setAutoPadding(false);
    const raw = Buffer.concat([d.update(Buffer.from(encrypted, "base64")), d.final()]);
    expect(raw.length % 32).toBe(0);
    const pad = raw[raw.length - 1] ?? 0;
    expect(raw.subarray(raw.length - pad).every((b) => b === pad)).toBe(true);
    const len = raw.readUInt32BE(16);
    expect(raw.subarray(20, 20 + len).toString("utf8")).toBe(xml);
    expect(raw.subarray(20 + len, raw.length - pad).toString("utf8")).toBe("wx5823bf96d3bd56c7");
  });

  it("signs the sorted token, timestamp, nonce and ciphertext with SHA1", () => {
    const sig = c.signature("1409659589", "263014780", "ENCRYPTED");
    const expected = createHash("sha1")
      .update(["QDG6eK", "1409659589", "263014780", "ENCRYPTED"].sort().join(""))
      .digest("hex");
    expect(sig).toBe(expected);
    expect(c.verify(sig, "1409659589", "263014780", "ENCRYPTED")).toBe(true);
    expect(c.verify(sig, "1409659590", "263014780", "ENCRYPTED")).toBe(false);
    expect(c.verify("short", "1409659589", "263014780", "ENCRYPTED")).toBe(false);
  });

  it("refuses a message for another corp, a tampered ciphertext and a malformed key", () => {
    const other = new WeComCrypto("QDG6eK", AES_KEY, "another-corp");
    expect(() => c.decrypt(other.encrypt("x"))).toThrow(/receiveid/);
    const bytes = Buffer.from(c.encrypt("hello"), "base64");
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    expect(() => c.decrypt(bytes.toString("base64"))).toThrow();
    expect(() => new WeComCrypto("t", "too-short", "corp")).toThrow(/43 characters/);
  });
});
