import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { decryptBackup, encryptBackup } from "./backup-crypto.js";

const PASS = "correct horse battery staple";
const payload = Buffer.from("conversations, pairing, outbox — 对话");

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof UserError ? err.code : `not a UserError: ${String(err)}`;
  }
  return undefined;
}

describe("backup encryption (AES-256-GCM, scrypt)", () => {
  const sealed = encryptBackup(payload, PASS);

  it("round-trips and never holds the plaintext", () => {
    expect(decryptBackup(sealed, PASS).equals(payload)).toBe(true);
    expect(sealed.includes(Buffer.from("conversations"))).toBe(false);
    expect(sealed.subarray(0, 9).toString("latin1")).toBe("CLAWBOXB\u0001");
  });

  it("uses a fresh salt and nonce per file", () => {
    const again = encryptBackup(payload, PASS);
    expect(again.subarray(12, 40).equals(sealed.subarray(12, 40))).toBe(false);
  });

  it("tells a wrong passphrase from a damaged file", () => {
    expect(codeOf(() => decryptBackup(sealed, "another long passphrase"))).toBe("backup_passphrase");
    for (const at of [57, sealed.length - 20, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] = (bad[at] as number) ^ 0x80;
      expect(
        codeOf(() => decryptBackup(bad, PASS)),
        `byte ${at}`,
      ).toBe("backup_damaged");
    }
    const nonce = Buffer.from(sealed);
    nonce[30] = (nonce[30] as number) ^ 1;
    expect(codeOf(() => decryptBackup(nonce, PASS))).toBe("backup_damaged");
    expect(codeOf(() => decryptBackup(sealed.subarray(0, sealed.length - 5), PASS))).toBe("backup_damaged");
  });

  it("refuses other files and short passphrases", () => {
    expect(
      codeOf(() => decryptBackup(Buffer.from("PK\u0003\u0004 a zip file, not a backup at all"), PASS)),
    ).toBe("backup_format");
    expect(codeOf(() => encryptBackup(payload, "short"))).toBe("backup_passphrase");
  });
});
