import type { Database } from "better-sqlite3";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { DEFAULT_SCRYPT, hashPassword, type ScryptParams, verifyPassword } from "./password.js";
import { passwordProblems } from "./password-strength.js";
import type { Role } from "./sessions.js";
import { validateUsername } from "./validate.js";

/** A dashboard account as lists show it (never the hash). */
export interface Account {
  username: string;
  role: Role;
  createdAt: string;
}

/** Dashboard accounts (`admin_users` table) with scrypt password hashes and a role (admin or viewer). */
export class AdminAccounts {
  #dummyHash: Promise<string> | undefined;

  constructor(
    private readonly db: Database,
    /** scrypt cost (tests may pass a cheaper one; the device uses DEFAULT_SCRYPT). */
    private readonly scrypt: ScryptParams = DEFAULT_SCRYPT,
  ) {}

  /**
   * Creates the admin account, or replaces its password when the name exists. Throws UserError:
   * `invalid_username` (bad name), `weak_password` (400; `message` lists the problems from passwordProblems as
   * "weak password: too-short, common" so the web app can show each in the user's language).
   */
  async setAdmin(username: string, password: string): Promise<void> {
    this.setAdminHash(username, await this.checkedHash(username, password));
  }

  /** Validates the name and the password's strength (`invalid_username`, `weak_password`) and hashes it. */
  private async checkedHash(username: string, password: string): Promise<string> {
    validateUsername(username);
    const problems = passwordProblems(password, username);
    if (problems.length > 0) {
      throw new UserError(`weak password: ${problems.join(", ")}`, {
        code: ErrorCode.WEAK_PASSWORD,
        fix: "choose a longer password (at least 10 characters) that is not a common one and not your user name",
      });
    }
    return hashPassword(password, this.scrypt);
  }

  /**
   * Creates the admin account, or replaces its password and makes it an admin when the name exists, with a
   * password hash made elsewhere (a boot-partition seed's `$6$` SHA-512-crypt hash; verify() checks it
   * through verifyPassword). Throws UserError `invalid_username` for a bad name.
   */
  setAdminHash(username: string, hash: string): void {
    validateUsername(username);
    const now = new Date().toISOString();
    this.db
      .prepare(
        "INSERT INTO admin_users (username, password_hash, role, created_at, updated_at) VALUES (?, ?, 'admin', ?, ?) " +
          "ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = 'admin', updated_at = excluded.updated_at",
      )
      .run(username, hash, now, now);
  }

  /**
   * Adds an account with `role` (the dashboard's and `clawbox accounts add`'s way to make a viewer).
   * Throws UserError `invalid_username`, `weak_password`, or `account_exists` (409) when the name is taken.
   */
  async addAccount(username: string, password: string, role: Role): Promise<Account> {
    const hash = await this.checkedHash(username, password);
    const now = new Date().toISOString();
    const info = this.db
      .prepare(
        "INSERT OR IGNORE INTO admin_users (username, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
      )
      .run(username, hash, role, now, now);
    if (info.changes === 0) {
      throw new UserError(`an account named "${username}" exists already`, {
        code: ErrorCode.ACCOUNT_EXISTS,
        status: 409,
        fix: "pick another name, or remove the old account first",
      });
    }
    return { username, role, createdAt: now };
  }

  /** Every account with its role, oldest first. */
  accounts(): Account[] {
    return this.db
      .prepare(
        "SELECT username, role, created_at AS createdAt FROM admin_users ORDER BY created_at, username",
      )
      .all() as Account[];
  }

  /**
   * Removes an account (its sessions end with it: ON DELETE CASCADE). Throws UserError `not_found` (404)
   * for an unknown name and `last_admin` (409) for the only admin (the device would have no admin left).
   */
  removeAccount(username: string): void {
    const tx = this.db.transaction(() => {
      const role = this.db.prepare("SELECT role FROM admin_users WHERE username = ?").pluck().get(username);
      if (!role) {
        throw new UserError(`there is no account named "${username}"`, {
          code: ErrorCode.NOT_FOUND,
          status: 404,
        });
      }
      const admins = this.db.prepare("SELECT COUNT(*) FROM admin_users WHERE role = 'admin'").pluck().get();
      if (role === "admin" && admins === 1) {
        throw new UserError("this is the only admin account", {
          code: ErrorCode.LAST_ADMIN,
          status: 409,
          fix: "add another admin first",
        });
      }
      this.db.prepare("DELETE FROM admin_users WHERE username = ?").run(username);
    });
    tx();
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
