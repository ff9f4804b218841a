import { randomInt } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../config/atomic-write.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/**
 * Setup-code alphabet: A–Z and 2–9 without the look-alikes 0/O and 1/I (32 symbols, 5 bits each, so an
 * 8-character code carries 40 bits; with 5 guesses a minute per address that is ~2×10^5 years on average).
 */
export const SETUP_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** Characters in a setup code. */
export const SETUP_CODE_LENGTH = 8;

/** The setup code file of a data dir: `<dataDir>/setup-code` (mode 0600; the console banner watches it). */
export function setupCodePath(dataDir: string): string {
  return join(dataDir, "setup-code");
}

/** A fresh code: SETUP_CODE_LENGTH symbols drawn uniformly with crypto.randomInt (no modulo bias). */
export function generateSetupCode(): string {
  let code = "";
  for (let i = 0; i < SETUP_CODE_LENGTH; i++)
    code += SETUP_CODE_ALPHABET[randomInt(SETUP_CODE_ALPHABET.length)];
  return code;
}

/** Upper-cases and drops spaces/dashes, so "abcd-efgh" as typed matches "ABCDEFGH". */
export function normaliseSetupCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, "");
}

/**
 * The stored setup code, or null when there is none (setup finished or never started).
 * Throws UserError when the file exists but cannot be read (wrong user) or is malformed.
 */
export function readSetupCode(dataDir: string): string | null {
  const file = setupCodePath(dataDir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    throw new UserError(`cannot read the setup code ${file}: ${code}`, {
      code: ErrorCode.SETUP_CODE,
      fix: "run the command as root or as the agent's user (on a device: sudo clawbox setup-code)",
      cause: err,
    });
  }
  const code = text.trim();
  const valid = new RegExp(`^[${SETUP_CODE_ALPHABET}]{${SETUP_CODE_LENGTH}}$`);
  if (!valid.test(code)) {
    throw new UserError(`the setup code file ${file} does not hold a setup code`, {
      code: ErrorCode.SETUP_CODE,
      fix: "delete the file and restart the agent: it writes a new code while setup is unfinished",
    });
  }
  return code;
}

/**
 * The data dir's setup code, generated and stored (atomic write, mode 0600) when missing. A file with
 * wider permissions is tightened to 0600.
 */
export function ensureSetupCode(dataDir: string): string {
  const existing = readSetupCode(dataDir);
  const file = setupCodePath(dataDir);
  if (existing !== null) {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return existing;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const code = generateSetupCode();
  writeFileAtomic(file, `${code}\n`, { mode: 0o600 });
  return code;
}

/** Deletes the setup code file (when setup finishes); no error when it is already gone. */
export function removeSetupCode(dataDir: string): void {
  rmSync(setupCodePath(dataDir), { force: true });
}

/** Groups a code for reading aloud/printing: "ABCD-EFGH" (normaliseSetupCode accepts both forms). */
export function formatSetupCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}
