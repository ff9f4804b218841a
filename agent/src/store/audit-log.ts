import type { Database } from "better-sqlite3";

/** How an audited action ended: done, refused for lack of rights/credentials (401/403), or failed otherwise. */
export type AuditOutcome = "ok" | "denied" | "failed";

/** One audit entry: who did what to which thing, when, from where, and how it ended. */
export interface AuditEntry {
  id: number;
  /** ISO 8601 UTC. */
  at: string;
  /** Dashboard user name, `api-token` (bearer API), `setup` (setup-code holder), `anonymous`, or `cli:<user>`. */
  actor: string;
  /** Client address as fastify sees it (request.ip), null for local CLI actions. */
  ip: string | null;
  /** Dotted verb, e.g. `login.failed`, `model.switch`, `pairing.approve`, `backup.restore`. */
  action: string;
  /** What it acted on (bridge id, model, key fingerprint, user name), never a secret. */
  target: string | null;
  outcome: AuditOutcome;
  /** Error code of a failed/denied action, or a short note. */
  detail: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, "id" | "at" | "ip" | "target" | "detail" | "outcome"> &
  Partial<Pick<AuditEntry, "ip" | "target" | "detail" | "outcome">>;

/** Longest stored target/detail, chars (inputs come from clients; the log must stay small). */
const MAX_FIELD = 200;
const cut = (s: string | null | undefined) => (s == null ? null : s.slice(0, MAX_FIELD));

/**
 * The audit log (`audit_log` table): append-only — SQLite triggers abort every UPDATE and DELETE, so not
 * even the agent can rewrite history; a copy of the database (backup) carries it along. Entries never hold
 * secrets: callers pass ids and names, never tokens or passwords.
 */
export class AuditLog {
  constructor(
    private readonly db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Appends one entry and returns it. */
  record(e: NewAuditEntry): AuditEntry {
    const at = this.now().toISOString();
    const info = this.db
      .prepare(
        "INSERT INTO audit_log (at, actor, ip, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        at,
        cut(e.actor) ?? "anonymous",
        e.ip ?? null,
        e.action,
        cut(e.target),
        e.outcome ?? "ok",
        cut(e.detail),
      );
    return this.db.prepare("SELECT * FROM audit_log WHERE id = ?").get(info.lastInsertRowid) as AuditEntry;
  }

  /**
   * Entries newest first: at most `limit` (1–1000, default 200), older than id `before` when given
   * (paging), only `action` (exact, or a prefix ending in "." like "pairing.") when given.
   */
  list(q: { limit?: number; before?: number; action?: string } = {}): AuditEntry[] {
    const limit = Math.min(1000, Math.max(1, Math.trunc(q.limit ?? 200) || 200));
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.before) {
      where.push("id < ?");
      args.push(q.before);
    }
    if (q.action) {
      where.push(q.action.endsWith(".") ? "action LIKE ? ESCAPE '\\'" : "action = ?");
      args.push(q.action.endsWith(".") ? `${q.action.replace(/[\\%_]/g, "\\$&")}%` : q.action);
    }
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    return this.db.prepare(sql).all(...args, limit) as AuditEntry[];
  }
}

/**
 * For the backup code: records a backup being created or restored (`backup.create` / `backup.restore`)
 * with who asked (dashboard user, `cli:<user>`, `job:<name>`), the archive name and the outcome.
 */
export function auditBackup(
  log: AuditLog,
  kind: "create" | "restore",
  e: { actor: string; archive: string; outcome?: AuditOutcome; detail?: string; ip?: string | null },
): AuditEntry {
  return log.record({
    actor: e.actor,
    action: `backup.${kind}`,
    target: e.archive,
    outcome: e.outcome,
    detail: e.detail,
    ip: e.ip,
  });
}
