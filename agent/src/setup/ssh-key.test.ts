import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { parseSshPublicKey } from "./ssh-key.js";

/** SSH wire string: uint32 length + bytes (RFC 4251 §5). */
const wire = (b: Buffer) =>
  Buffer.concat([Buffer.from([0, 0, 0, 0].map((_, i) => (b.length >>> (24 - 8 * i)) & 255)), b]);
/** mpint: big-endian, a leading zero byte when the top bit is set. */
const mpint = (b: Buffer) => wire((b[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);

function ed25519Line(comment: string): string {
  const { publicKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  const blob = Buffer.concat([wire(Buffer.from("ssh-ed25519")), wire(raw)]);
  return `ssh-ed25519 ${blob.toString("base64")} ${comment}`;
}

function rsaLine(bits: number): string {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const jwk = publicKey.export({ format: "jwk" });
  const blob = Buffer.concat([
    wire(Buffer.from("ssh-rsa")),
    mpint(Buffer.from(jwk.e as string, "base64url")),
    mpint(Buffer.from(jwk.n as string, "base64url")),
  ]);
  return `ssh-rsa ${blob.toString("base64")} ops@fleet`;
}

describe("parseSshPublicKey", () => {
  it("accepts an ed25519 key with its comment and gives the SHA256 fingerprint", () => {
    const key = parseSshPublicKey(`  ${ed25519Line("me@laptop")}\n`);
    expect(key.type).toBe("ssh-ed25519");
    expect(key.bits).toBe(256);
    expect(key.comment).toBe("me@laptop");
    expect(key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(key.line.endsWith(" me@laptop")).toBe(true);
  });

  it("measures RSA keys and refuses short ones", () => {
    expect(parseSshPublicKey(rsaLine(2048)).bits).toBe(2048);
    expect(() => parseSshPublicKey(rsaLine(1024))).toThrow(/1024 bits/);
  });

  it("refuses wrong type, bad data, DSA, private keys, options and control characters", () => {
    const good = ed25519Line("x");
    const data = good.split(" ")[1];
    expect(() => parseSshPublicKey(`ssh-rsa ${data}`)).toThrow(/not a ssh-rsa key/);
    expect(() => parseSshPublicKey("ssh-ed25519 not*base64")).toThrow(/base64/);
    expect(() => parseSshPublicKey(`ssh-dss ${data}`)).toThrow(/DSA/);
    expect(() => parseSshPublicKey("-----BEGIN OPENSSH PRIVATE KEY-----")).toThrow(/private key/);
    expect(() => parseSshPublicKey(`command="sh" ${good}`)).toThrow(/unsupported key type/);
    expect(() => parseSshPublicKey(`ssh-ed25519 ${data} evil\u0007bell`)).toThrow(UserError);
    expect(() => parseSshPublicKey(`ssh-ed25519 ${data} ${"c".repeat(101)}`)).toThrow(/comment/);
    expect(() => parseSshPublicKey("ssh-ed25519 AAAA")).toThrow(UserError);
  });
});
