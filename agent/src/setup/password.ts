import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";
import { verifySha512Crypt } from "./sha512-crypt.js";

/** scrypt cost parameters. */
export interface ScryptParams {
  /** CPU/memory cost N (power of two). */
  N: number;
  /** Block size r. */
  r: number;
  /** Parallelisation p. */
  p: number;
}

/**
 * Default scrypt parameters: N=2^17, r=8, p=1 — the minimum the OWASP Password Storage Cheat Sheet gives
 * for scrypt (cheatsheetseries.owasp.org, "Password Storage", scrypt section). Memory per hash is
 * 128 × N × r bytes = 128 MiB (RFC 7914 §2), which a 1 GiB Raspberry Pi can afford for one login at a time.
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

/** Derived key length in bytes (256 bits). */
const KEY_BYTES = 32;

/** Salt length in bytes (128 bits, RFC 7914 recommends ≥ 16 bytes of random salt via NIST SP 800-132). */
const SALT_BYTES = 16;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // maxmem must exceed 128·N·r (Node's default limit is 32 MiB); give it twice the need.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, KEY_BYTES, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/**
 * Hashes a password with scrypt (node:crypto). Returns a self-describing string
 * `scrypt$<N>$<r>$<p>$<salt base64>$<key base64>` so parameters can be raised later without breaking
 * old hashes. The password is NFC-normalised first (the same text typed on a phone or a PC matches).
 */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ["scrypt", params.N, params.r, params.p, salt.toString("base64"), key.toString("base64")].join("$");
}

/**
 * True when `password` matches a hash from hashPassword, or a `$6$` SHA-512-crypt hash (sha512-crypt.ts) (constant-time comparison of the derived keys).
 * A malformed hash string gives false, never an exception.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  // An admin account from a boot-partition seed keeps the seed's crypt(3) hash (setup/seed-admin.ts).
  if (stored.startsWith("$6$")) return verifySha512Crypt(password, stored);
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return false;
  const salt = Buffer.from(parts[4] as string, "base64");
  const expected = Buffer.from(parts[5] as string, "base64");
  const key = await derive(password, salt, { N, r, p });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
