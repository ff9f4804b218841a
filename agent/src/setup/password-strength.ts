/**
 * Password strength check for the admin account, after NIST SP 800-63B §5.1.1.2: a minimum length, a
 * check against commonly used passwords and context words (user name, product name), no composition rules
 * (no "must contain a digit"): length is what makes a password hard to guess.
 */

/** Minimum password length in characters (SP 800-63B asks for ≥ 8; a device on the LAN gets 10). */
export const MIN_PASSWORD_LENGTH = 10;

/** Maximum length; scrypt hashes any length, the limit only stops absurd request bodies. */
export const MAX_PASSWORD_LENGTH = 256;

/** Why a password was refused; the web app shows the catalogue text for each reason. */
export type PasswordProblem = "too-short" | "too-long" | "common" | "contains-username" | "repetitive";

/** A few of the most common passwords (top of public breach-corpus lists) plus product words. */
const COMMON = new Set([
  "password",
  "password1",
  "password123",
  "passw0rd",
  "1234567890",
  "0123456789",
  "12345678910",
  "qwertyuiop",
  "1q2w3e4r5t",
  "qwerty1234",
  "iloveyou12",
  "admin12345",
  "administrator",
  "letmein123",
  "welcome123",
  "changeme123",
  "raspberrypi",
  "clawbox123",
  "clawboxadmin",
]);

/**
 * The problems of `password` for `username` ([] = acceptable): shorter than MIN_PASSWORD_LENGTH or longer
 * than MAX_PASSWORD_LENGTH (counted in Unicode code points), a common password, containing the user name or
 * "clawbox" (case-insensitive), or made of one repeated character / a straight run like "abcdefghij".
 */
export function passwordProblems(password: string, username = ""): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) problems.push("too-short");
  if (length > MAX_PASSWORD_LENGTH) problems.push("too-long");
  const lower = password.toLowerCase();
  if (COMMON.has(lower) || lower.includes("clawbox")) problems.push("common");
  if (username.length >= 3 && lower.includes(username.toLowerCase())) problems.push("contains-username");
  if (length > 0 && (new Set(lower).size <= 2 || isStraightRun(lower))) problems.push("repetitive");
  return problems;
}

/** True for a string whose characters step by the same code-point difference (+1 or −1): "abcdef", "987654". */
function isStraightRun(s: string): boolean {
  const codes = [...s].map((c) => c.codePointAt(0) as number);
  if (codes.length < 3) return false;
  const step = (codes[1] as number) - (codes[0] as number);
  if (Math.abs(step) !== 1) return false;
  return codes.every((c, i) => i === 0 || c - (codes[i - 1] as number) === step);
}
