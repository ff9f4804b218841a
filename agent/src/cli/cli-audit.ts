import type { Database } from "better-sqlite3";
import { AuditLog } from "../store/audit-log.js";
import { openDatabase } from "../store/database.js";

/** Who acts from the device's shell: `cli:<login>` (the sudo caller when run through sudo). */
export const cliActor = (): string => `cli:${process.env.SUDO_USER ?? process.env.USER ?? "unknown"}`;

/**
 * Records an admin action taken with the CLI in the data dir's audit log (no IP: a local shell). Pass
 * `db` when the command has the database open already; else it is opened and closed here.
 */
export function auditFromCli(
  where: { db: Database } | { dataDir: string },
  action: string,
  target: string | null,
  detail?: string,
): void {
  const db = "db" in where ? where.db : openDatabase(where.dataDir);
  try {
    new AuditLog(db).record({ actor: cliActor(), action, target, detail });
  } finally {
    if (!("db" in where)) db.close();
  }
}
