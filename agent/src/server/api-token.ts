import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../config/atomic-write.js";
import { UserError } from "../errors.js";

/** Prefix that makes a clawbox API token recognisable (in configs, leaked-secret scanners). */
export const TOKEN_PREFIX = "cbx_";

/** The token file inside a data dir: `<dataDir>/api-token` (mode 0600). */
export function tokenPath(dataDir: string): string {
  return join(dataDir, "api-token");
}

/** A new token: "cbx_" + 32 random bytes (256 bits, crypto.randomBytes) in base64url (43 chars). */
export function generateApiToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/**
 * The stored token of a data dir, or null when none was generated yet. Throws UserError when the file
 * exists but cannot be read (permissions) or does not hold a clawbox token.
 */
export function readApiToken(dataDir: string): string | null {
  const file = tokenPath(dataDir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    throw new UserError(`cannot read the API token ${file}: ${code}`, {
      code: "E_TOKEN",
      fix: "run the command as the user that runs the agent (on a device: sudo -u clawbox clawbox token)",
      cause: err,
    });
  }
  const token = text.trim();
  if (!token.startsWith(TOKEN_PREFIX) || token.length < TOKEN_PREFIX.length + 32) {
    throw new UserError(`the API token file ${file} does not hold a clawbox token`, {
      code: "E_TOKEN",
      fix: "run `clawbox token --rotate` to write a new one (clients must then use the new token)",
    });
  }
  return token;
}

/**
 * Returns the data dir's token, generating and storing one on first use (atomic write, mode 0600,
 * data dir created with mode 0700). A token file with wider permissions is tightened to 0600.
 */
export function ensureApiToken(dataDir: string): string {
  const existing = readApiToken(dataDir);
  if (existing !== null) {
    const file = tokenPath(dataDir);
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return existing;
  }
  return writeToken(dataDir, generateApiToken());
}

/** Replaces the token with a new one and returns it; the old token stops working at the agent's next start. */
export function rotateApiToken(dataDir: string): string {
  return writeToken(dataDir, generateApiToken());
}

function writeToken(dataDir: string, token: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileAtomic(tokenPath(dataDir), `${token}\n`, { mode: 0o600 });
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
