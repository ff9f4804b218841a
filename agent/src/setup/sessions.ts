import { createHash, randomBytes } from "node:crypto";
import type { Database } from "better-sqlite3";
import { seal, unseal } from "../secrets/sealed-secret.js";

/** Dashboard account role: `admin` does everything; `viewer` sees status and logs and may chat (role-policy.ts). */
export type Role = "admin" | "viewer";

/** A logged-in browser session. */
export interface Session {
  username: string;
  /** The account's role now (read with the session, so a changed role applies at the next request). */
  role: Role;
  /** Token the web app sends back in `X-CSRF-Token` on every mutation (synchroniser token pattern). */
  csrfToken: string;
  expiresAt: string;
}

/** Session lifetime, ms: 12 h (OWASP Session Management Cheat Sheet: absolute timeout of hours for admin apps). */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const hashId = (id: string) => createHash("sha256").update(id).digest("hex");

/**
 * Dashboard sessions in SQLite (`sessions` table). The cookie holds a random 256-bit id; the table stores
 * only its SHA-256, so a copy of the database does not hand out live sessions. With a device key the CSRF
 * token is stored sealed (AES-256-GCM, sealed-secret.ts), so no session secret is in the file in clear.
 */
export class SessionStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
    private readonly deviceKey?: Buffer,
  ) {}

  private sealCsrf(csrf: string, idHash: string): string {
    return this.deviceKey ? seal(this.deviceKey, csrf, `sessions.${idHash}`) : csrf;
  }

  /** Starts a session; returns the cookie value (base64url, 43 chars) and the session. */
  create(username: string): { id: string; session: Session } {
    const id = randomBytes(32).toString("base64url");
    const csrfToken = randomBytes(24).toString("base64url");
    const expiresAt = new Date(this.now() + SESSION_TTL_MS).toISOString();
    this.db.prepare("DELETE FROM sessions WHERE expires_at < ?").run(new Date(this.now()).toISOString());
    this.db
      .prepare(
        "INSERT INTO sessions (id_hash, username, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
      )
      .run(
        hashId(id),
        username,
        this.sealCsrf(csrfToken, hashId(id)),
        new Date(this.now()).toISOString(),
        expiresAt,
      );
    const role = (this.db.prepare("SELECT role FROM admin_users WHERE username = ?").pluck().get(username) ??
      "admin") as Role;
    return { id, session: { username, role, csrfToken, expiresAt } };
  }

  /** The live session for a cookie value, or null (unknown or expired). */
  get(id: string | undefined): Session | null {
    if (!id) return null;
    const row = this.db
      .prepare(
        "SELECT s.username, s.csrf_token, s.expires_at, u.role FROM sessions s " +
          "JOIN admin_users u ON u.username = s.username WHERE s.id_hash = ?",
      )
      .get(hashId(id)) as
      | { username: string; csrf_token: string; expires_at: string; role: Role }
      | undefined;
    if (!row || Date.parse(row.expires_at) <= this.now()) return null;
    let csrfToken = row.csrf_token;
    try {
      if (this.deviceKey) csrfToken = unseal(this.deviceKey, csrfToken, `sessions.${hashId(id)}`);
    } catch {
      return null; // sealed with another key (restored elsewhere): log in again
    }
    return { username: row.username, role: row.role, csrfToken, expiresAt: row.expires_at };
  }

  /** Ends a session (logout); unknown ids are ignored. */
  delete(id: string | undefined): void {
    if (id) this.db.prepare("DELETE FROM sessions WHERE id_hash = ?").run(hashId(id));
  }
}
