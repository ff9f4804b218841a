import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { SetupServices } from "../../setup/setup-services.js";
import type { AuditLog } from "../../store/audit-log.js";
import { sessionGuard } from "./session-guard.js";

type Query = { limit?: string; before?: string; action?: string };

const listOf = (audit: AuditLog, request: FastifyRequest<{ Querystring: Query }>) => {
  const q = request.query;
  return {
    entries: audit.list({
      limit: q.limit ? Number(q.limit) : undefined,
      before: q.before ? Number(q.before) || undefined : undefined,
      action: q.action || undefined,
    }),
  };
};

/**
 * The audit log for the dashboard: `GET /api/dashboard/audit?limit=&before=&action=` → `{entries}`
 * newest first (admin session only, role-policy.ts). `action` is exact or a prefix ending in "."
 * ("pairing."); `before` is an entry id (paging).
 */
export const dashboardAuditRoutes: FastifyPluginAsync<{ setup: SetupServices; audit: AuditLog }> = async (
  app,
  o,
) => {
  app.addHook("onRequest", sessionGuard(o.setup));
  app.get<{ Querystring: Query }>("/api/dashboard/audit", async (request) => listOf(o.audit, request));
};

/** The same list over the admin API (`GET /admin/audit`, bearer token; registered inside the bearer scope). */
export const adminAuditRoutes: FastifyPluginAsync<{ audit: AuditLog }> = async (app, o) => {
  app.get<{ Querystring: Query }>("/admin/audit", async (request) => listOf(o.audit, request));
};
