import { createHash } from "node:crypto";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/** A validated OpenSSH public key. */
export interface SshPublicKey {
  /** Key type as OpenSSH writes it: "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa", … */
  type: string;
  /** Key size in bits (RSA: modulus length; others: fixed by the type). */
  bits: number;
  comment: string;
  /** "SHA256:<base64>" as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** The normalised authorized_keys line: "type base64 comment". */
  line: string;
}

/**
 * Accepted key types and their sizes in bits. DSA is refused (OpenSSH disabled it by default in 7.0);
 * RSA needs ≥ 2048 bits (NIST SP 800-57 Part 1 Rev. 5, table 2: 112-bit security until 2030).
 */
const FIXED_BITS: Record<string, number> = {
  "ssh-ed25519": 256,
  "sk-ssh-ed25519@openssh.com": 256,
  "ecdsa-sha2-nistp256": 256,
  "ecdsa-sha2-nistp384": 384,
  "ecdsa-sha2-nistp521": 521,
  "sk-ecdsa-sha2-nistp256@openssh.com": 256,
};
export const MIN_RSA_BITS = 2048;
const MAX_COMMENT = 100;

function fail(message: string): never {
  throw new UserError(message, {
    code: ErrorCode.SSH_KEY,
    fix: "paste the one line of your public key file (e.g. ~/.ssh/id_ed25519.pub), starting with ssh-ed25519 or ssh-rsa",
  });
}

/** Reads one SSH wire-format string (uint32 length + bytes) at `offset`. */
function readString(blob: Buffer, offset: number): { value: Buffer; next: number } {
  if (offset + 4 > blob.length) fail("the key data is truncated");
  const len = blob.readUInt32BE(offset);
  if (offset + 4 + len > blob.length) fail("the key data is truncated");
  return { value: blob.subarray(offset + 4, offset + 4 + len), next: offset + 4 + len };
}

/**
 * Parses and validates one public key line "type base64 [comment]" (RFC 4253 §6.6 key blob inside).
 * Checks: a supported type (no DSA, no options prefix), valid base64 whose inner type matches, RSA modulus
 * ≥ MIN_RSA_BITS, a comment of printable characters of at most 100 characters. Throws UserError (`ssh_key`)
 * naming the problem.
 */
export function parseSshPublicKey(text: string): SshPublicKey {
  const trimmed = text.trim();
  if (trimmed.includes("\n")) fail("paste exactly one key (one line)");
  if (trimmed.includes("PRIVATE KEY"))
    fail("this is a private key; never share it — paste the .pub file instead");
  const [type, data, ...rest] = trimmed.split(/\s+/);
  if (!type || !data) fail("a public key has a type and base64 data, e.g. 'ssh-ed25519 AAAA… me@laptop'");
  if (type === "ssh-dss") fail("DSA keys are no longer accepted by OpenSSH; make an ed25519 key");
  if (!(type in FIXED_BITS) && type !== "ssh-rsa") fail(`unsupported key type "${type.slice(0, 40)}"`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) fail("the key data is not base64");
  const blob = Buffer.from(data, "base64");
  const inner = readString(blob, 0);
  if (inner.value.toString("latin1") !== type) fail(`the key data says it is not a ${type} key`);
  let bits = FIXED_BITS[type] ?? 0;
  if (type === "ssh-rsa") {
    const e = readString(blob, inner.next);
    const n = readString(blob, e.next);
    let modulus = n.value;
    while (modulus.length > 0 && modulus[0] === 0) modulus = modulus.subarray(1);
    bits = modulus.length === 0 ? 0 : (modulus.length - 1) * 8 + (32 - Math.clz32(modulus[0] as number));
    if (bits < MIN_RSA_BITS) fail(`this RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are needed`);
  } else if (blob.length < 40) fail("the key data is too short for its type");
  const comment = rest.join(" ");
  if ([...comment].length > MAX_COMMENT) fail(`the comment is longer than ${MAX_COMMENT} characters`);
  if (/[\p{Cc}]/u.test(comment)) fail("the comment contains control characters");
  const fingerprint = `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
  return {
    type,
    bits,
    comment,
    fingerprint,
    line: comment ? `${type} ${data} ${comment}` : `${type} ${data}`,
  };
}
