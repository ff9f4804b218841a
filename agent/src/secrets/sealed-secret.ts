import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/**
 * Prefix of a sealed value: `enc.v1.` + base64url(IV 12 bytes | GCM tag 16 bytes | ciphertext). Dots and
 * base64url only, so a sealed value fits schema patterns of the secrets it replaces (e.g. Discord tokens).
 */
export const SEALED_PREFIX = "enc.v1.";
/** GCM IV length, bytes: 96 bits, the length NIST SP 800-38D recommends; random per value. */
const IV_BYTES = 12;
/** GCM tag length, bytes: the full 128 bits. */
const TAG_BYTES = 16;

/** True when `value` is a sealed value (else it is a plain legacy value). */
export function isSealed(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(SEALED_PREFIX);
}

/**
 * Encrypts `plain` with AES-256-GCM under the 32-byte device key. `context` (e.g. "api-token",
 * "bridges.home.token") is authenticated data: a sealed value copied to another place does not open there.
 */
export function seal(key: Buffer, plain: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/**
 * The plain text of a sealed value; a value without the prefix is returned as it is (legacy plain
 * value, to be migrated by the caller). Throws UserError `secret_sealed` when it does not open (another
 * device's key, a changed key, or a damaged value), naming `context` but never the value.
 */
export function unseal(key: Buffer, value: string, context: string): string {
  if (!isSealed(value)) return value;
  try {
    const raw = Buffer.from(value.slice(SEALED_PREFIX.length), "base64url");
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      "utf8",
    );
  } catch (err) {
    throw new UserError(`the sealed secret ${context} cannot be opened with this device's key`, {
      code: ErrorCode.SECRET_SEALED,
      fix: "restore the device key this secret was sealed with, or enter the secret again (dashboard or config file)",
      cause: err,
    });
  }
}
