import { createHash, timingSafeEqual } from "node:crypto";

/**
 * SHA-512-crypt (`$6$`), the crypt(3) scheme of glibc/libxcrypt, as specified in Ulrich Drepper's
 * "Unix crypt using SHA-256 and SHA-512" (akkadia.org/drepper/SHA-crypt.txt): the algorithm a seed
 * file's `admin.passwordHash` from `openssl passwd -6` or `mkpasswd -m sha-512` uses.
 */

/** crypt(3)'s base-64 alphabet (not RFC 4648's). */
const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** Spec: default rounds 5000, clamped to 1000 … 999999999; salt at most 16 characters. */
const DEFAULT_ROUNDS = 5000;
const MIN_ROUNDS = 1000;
const MAX_ROUNDS = 999_999_999;
const MAX_SALT = 16;

const sha512 = (...parts: Buffer[]) => {
  const h = createHash("sha512");
  for (const p of parts) h.update(p);
  return h.digest();
};

/** `len` bytes of `block` repeated (the spec's P and S sequences). */
function repeatTo(block: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += block.length) block.copy(out, i, 0, Math.min(block.length, len - i));
  return out;
}

/** The 86-character encoding of the final digest (the spec's byte order for SHA-512). */
function encode(c: Buffer): string {
  let out = "";
  const put = (b2: number, b1: number, b0: number, n: number) => {
    let w = (b2 << 16) | (b1 << 8) | b0;
    for (let i = 0; i < n; i++, w >>= 6) out += ITOA64[w & 0x3f];
  };
  for (let i = 0; i < 21; i++) {
    const [a, b, d] = [c[i] as number, c[i + 21] as number, c[i + 42] as number];
    if (i % 3 === 0) put(a, b, d, 4);
    else if (i % 3 === 1) put(b, d, a, 4);
    else put(d, a, b, 4);
  }
  put(0, 0, c[63] as number, 2);
  return out;
}

/**
 * Computes the `$6$` hash of `password` (UTF-8 bytes) with the salt and rounds of `setting`
 * (`$6$[rounds=N$]salt[$…]`). Returns null when `setting` is not a `$6$` string.
 */
export function sha512Crypt(password: string, setting: string): string | null {
  const m = setting.match(/^\$6\$(?:rounds=(\d+)\$)?([^$]*)/);
  if (!m) return null;
  const custom = m[1] !== undefined;
  const rounds = custom ? Math.min(MAX_ROUNDS, Math.max(MIN_ROUNDS, Number(m[1]))) : DEFAULT_ROUNDS;
  const saltText = (m[2] as string).slice(0, MAX_SALT);
  const p = Buffer.from(password, "utf8");
  const s = Buffer.from(saltText, "utf8");
  const b = sha512(p, s, p);
  const a = createHash("sha512").update(p).update(s);
  let n = p.length;
  for (; n > 64; n -= 64) a.update(b);
  a.update(b.subarray(0, n));
  for (let cnt = p.length; cnt > 0; cnt >>= 1) a.update(cnt & 1 ? b : p);
  const aDigest = a.digest();
  const pSeq = repeatTo(sha512(...Array<Buffer>(p.length).fill(p)), p.length);
  const sSeq = repeatTo(sha512(...Array<Buffer>(16 + (aDigest[0] as number)).fill(s)), s.length);
  let c = aDigest;
  for (let i = 0; i < rounds; i++) {
    const h = createHash("sha512");
    h.update(i & 1 ? pSeq : c);
    if (i % 3) h.update(sSeq);
    if (i % 7) h.update(pSeq);
    h.update(i & 1 ? c : pSeq);
    c = h.digest();
  }
  return `$6$${custom ? `rounds=${rounds}$` : ""}${saltText}$${encode(c)}`;
}

/** True when `password` matches the `$6$` hash `stored` (constant-time comparison); false for anything else. */
export function verifySha512Crypt(password: string, stored: string): boolean {
  const computed = sha512Crypt(password, stored);
  if (computed === null || computed.length !== stored.length) return false;
  return timingSafeEqual(Buffer.from(computed), Buffer.from(stored));
}
