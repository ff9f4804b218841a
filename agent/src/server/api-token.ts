import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeOwnFileAtomic } from "../config/atomic-write.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { loadDeviceKey } from "../secrets/device-key.js";
import { isSealed, seal, unseal } from "../secrets/sealed-secret.js";

/** Authenticated context of the sealed token (sealed-secret.ts). */
const TOKEN_CONTEXT = "api-token";

/** Prefix that makes a clawbox API token recognisable (in configs, leaked-secret scanners). */
export const TOKEN_PREFIX = "cbx_";

/** The token file inside a data dir: `<dataDir>/api-token` (mode 0600), sealed with the device key. */
export function tokenPath(dataDir: string): string {
  return join(dataDir, "api-token");
}

/** A new token: "cbx_" + 32 random bytes (256 bits, crypto.randomBytes) in base64url (43 chars). */
export function generateApiToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/**
 * The stored token of a data dir, or null when none was generated yet. The file holds it sealed with the
 * device key (AES-256-GCM, sealed-secret.ts); a plain token from an older release is read as is (and
 * sealed by `ensureApiToken` at the agent's start). Throws UserError when the file exists but cannot be
 * read (permissions), does not open with the device key (`secret_sealed`), or holds no clawbox token.
 */
export function readApiToken(dataDir: string): string | null {
  return readStoredToken(dataDir)?.token ?? null;
}

function readStoredToken(dataDir: string): { token: string; sealed: boolean } | null {
  const file = tokenPath(dataDir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    throw new UserError(`cannot read the API token ${file}: ${code}`, {
      code: ErrorCode.API_TOKEN_INVALID,
      fix: "run the command as root or as the user that runs the agent (on a device: sudo)",
      cause: err,
    });
  }
  const stored = text.trim();
  const token = isSealed(stored) ? unseal(loadDeviceKey(dataDir).key, stored, TOKEN_CONTEXT) : stored;
  if (!token.startsWith(TOKEN_PREFIX) || token.length < TOKEN_PREFIX.length + 32) {
    throw new UserError(`the API token file ${file} does not hold a clawbox token`, {
      code: ErrorCode.API_TOKEN_INVALID,
      fix: "run `clawbox token --rotate` to write a new one (clients must then use the new token)",
    });
  }
  return { token, sealed: isSealed(stored) };
}

/**
 * Returns the data dir's token, generating and storing one on first use (atomic write, mode 0600,
 * data dir created with mode 0700). A token file with wider permissions is tightened to 0600; a plain
 * token (older release) is rewritten sealed — the token itself stays the same, clients keep working.
 */
export function ensureApiToken(dataDir: string): string {
  const existing = readStoredToken(dataDir);
  if (existing !== null) {
    if (!existing.sealed) return writeToken(dataDir, existing.token);
    const file = tokenPath(dataDir);
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return existing.token;
  }
  return writeToken(dataDir, generateApiToken());
}

/** Replaces the token with a new one and returns it; the old token stops working at the agent's next start. */
export function rotateApiToken(dataDir: string): string {
  return writeToken(dataDir, generateApiToken());
}

function writeToken(dataDir: string, token: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const sealed = seal(loadDeviceKey(dataDir).key, token, TOKEN_CONTEXT);
  writeOwnFileAtomic(tokenPath(dataDir), `${sealed}\n`);
  return token;
}

/**
 * Constant-time token comparison. Both sides are hashed with SHA-256 first so that neither the content
 * nor the length of the expected token leaks through timing (timingSafeEqual needs equal lengths).
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
