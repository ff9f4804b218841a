import type { FastifyRequest } from "fastify";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import type { Session } from "../../setup/sessions.js";

/**
 * What a `viewer` account may do, by `METHOD route-pattern`; everything else behind the session is
 * admin-only (deny by default, so a route added later is safe until listed here). A viewer sees status,
 * bridge states and logs, and chats; settings, bridge edits, pairing, tokens, accounts, backups and the
 * audit log stay with admins.
 */
export const VIEWER_ROUTES: ReadonlySet<string> = new Set([
  "GET /api/session",
  "DELETE /api/session",
  "GET /api/dashboard/status",
  "GET /api/dashboard/logs",
  "GET /api/dashboard/bridges",
  "GET /api/dashboard/bridge-types",
  "POST /api/dashboard/chat",
]);

/**
 * Throws 403 `admin_only` when `session` is a viewer and the route is not in VIEWER_ROUTES; the message
 * names the account and what to do. Called by sessionGuard on every session route.
 */
export function enforceRole(request: FastifyRequest, session: Session): void {
  if (session.role === "admin") return;
  if (VIEWER_ROUTES.has(`${request.method} ${request.routeOptions.url ?? ""}`)) return;
  throw new UserError(`the account "${session.username}" is a viewer: only an admin can do this`, {
    code: ErrorCode.ADMIN_ONLY,
    status: 403,
    fix: "log in with an admin account, or ask the device's admin",
  });
}
