import type { Database } from "better-sqlite3";
import { UserError } from "../errors.js";
import { DEFAULT_SCRYPT, hashPassword, type ScryptParams, verifyPassword } from "./password.js";
import { passwordProblems } from "./password-strength.js";
import { validateUsername } from "./validate.js";

/** Admin accounts (`admin_users` table) with scrypt password hashes. */
export class AdminAccounts {
  #dummyHash: Promise<string> | undefined;

  constructor(
    private readonly db: Database,
    /** scrypt cost (tests may pass a cheaper one; the device uses DEFAULT_SCRYPT). */
    private readonly scrypt: ScryptParams = DEFAULT_SCRYPT,
  ) {}

  /**
   * Creates the admin account, or replaces its password when the name exists. Throws UserError:
   * E_USERNAME (bad name), E_WEAK_PASSWORD (400; `message` lists the problems from passwordProblems as
   * "weak password: too-short, common" so the web app can show each in the user's language).
   */
  async setAdmin(username: string, password: string): Promise<void> {
    validateUsername(username);
    const problems = passwordProblems(password, username);
    if (problems.length > 0) {
      throw new UserError(`weak password: ${problems.join(", ")}`, {
        code: "E_WEAK_PASSWORD",
        fix: "choose a longer password (at least 10 characters) that is not a common one and not your user name",
      });
    }
    this.setAdminHash(username, await hashPassword(password, this.scrypt));
  }

  /**
   * Creates or replaces an account with a password hash made elsewhere (a boot-partition seed's `$6$`
   * SHA-512-crypt hash); verify() checks it through verifyPassword.
   * Throws UserError E_USERNAME for a bad name.
   */
  setAdminHash(username: string, hash: string): void {
    validateUsername(username);
    const now = new Date().toISOString();
    this.db
      .prepare(
        "INSERT INTO admin_users (username, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
      )
      .run(username, hash, now, now);
  }

  /** Deletes every account except `keep` (the wizard allows one admin; re-running step 2 renames it). */
  keepOnly(keep: string): void {
    this.db.prepare("DELETE FROM admin_users WHERE username <> ?").run(keep);
  }

  /** User names, oldest first. */
  usernames(): string[] {
    return (
      this.db.prepare("SELECT username FROM admin_users ORDER BY created_at").all() as { username: string }[]
    ).map((r) => r.username);
  }

  /**
   * True when the user exists and the password matches. An unknown user still costs one scrypt run (against
   * a dummy hash) so response time does not reveal which user names exist.
   */
  async verify(username: string, password: string): Promise<boolean> {
    const row = this.db.prepare("SELECT password_hash FROM admin_users WHERE username = ?").get(username) as
      | { password_hash: string }
      | undefined;
    if (!row) {
      this.#dummyHash ??= hashPassword("not a password", this.scrypt);
      await verifyPassword(password, await this.#dummyHash);
      return false;
    }
    return verifyPassword(password, row.password_hash);
  }
}
