import type { FastifyError, FastifyInstance, FastifyRequest } from "fastify";
import type { AuditLog, AuditOutcome } from "../store/audit-log.js";
import { sessionOf } from "./routes/session-guard.js";

type Req = FastifyRequest<{ Body: Record<string, unknown> | undefined; Params: Record<string, string> }>;

/** One audited route: its action name and how to read the target from the request (never a secret). */
interface AuditedRoute {
  action: string | ((r: Req) => string);
  target?: (r: Req) => unknown;
}

const body = (key: string) => (r: Req) => (r.body && typeof r.body === "object" ? r.body[key] : undefined);
const param = (key: string) => (r: Req) => r.params?.[key];

/**
 * Every administrative action, by `METHOD route-pattern` (fastify's routeOptions.url). Reads are audited
 * only where they hand out a secret or the whole data (token view, backup download). Targets name things
 * (bridge id, model, user, fingerprint); passwords, tokens, Wi-Fi passphrases and bridge configs never.
 */
export const AUDITED_ROUTES: Record<string, AuditedRoute> = {
  "POST /api/session": {
    action: (r) => (r.audited === "ok" ? "login" : "login.failed"),
    target: body("username"),
  },
  "DELETE /api/session": { action: "logout" },
  "POST /api/setup/welcome": { action: "setup.welcome", target: body("language") },
  "POST /api/setup/admin": { action: "setup.admin", target: body("username") },
  "POST /api/setup/device": { action: "setup.device", target: body("name") },
  "POST /api/setup/network": { action: "setup.network", target: body("ssid") },
  "POST /api/setup/model": { action: "setup.model", target: body("model") },
  "POST /api/setup/download": { action: "setup.download", target: body("model") },
  "POST /api/setup/ssh-key": { action: "ssh-key.add" },
  "POST /api/setup/skip": { action: "setup.skip", target: body("step") },
  "POST /api/setup/complete": { action: "setup.complete", target: body("step") },
  "POST /api/setup/finish": { action: "setup.finish" },
  "GET /api/setup/api-token": { action: "token.view" },
  "POST /api/setup/bridges/test": { action: "bridge.test", target: body("id") },
  "PUT /api/setup/bridges/:id": { action: "bridge.change", target: param("id") },
  "DELETE /api/setup/bridges/:id": { action: "bridge.remove", target: param("id") },
  "POST /admin/model": { action: "model.switch", target: body("model") },
  "GET /api/dashboard/token": { action: "token.view" },
  "POST /api/dashboard/token/rotate": { action: "token.rotate" },
  "POST /api/dashboard/models/use": { action: "model.switch", target: body("model") },
  "POST /api/dashboard/models/pull": { action: "model.pull", target: body("model") },
  "POST /api/dashboard/models/cancel": { action: "model.pull-cancel" },
  "DELETE /api/dashboard/models/:name": { action: "model.delete", target: param("name") },
  "POST /api/dashboard/device": { action: "device.change", target: body("name") },
  "POST /api/dashboard/network": { action: "network.change", target: body("ssid") },
  "POST /api/dashboard/ssh-keys": { action: "ssh-key.add" },
  "DELETE /api/dashboard/ssh-keys": {
    action: "ssh-key.remove",
    target: (r) => (r.query as { fingerprint?: string }).fingerprint,
  },
  "GET /api/dashboard/backup": { action: "backup.download" },
  "POST /api/dashboard/bridges/test": { action: "bridge.test", target: body("id") },
  "PUT /api/dashboard/bridges/:id": { action: "bridge.change", target: param("id") },
  "DELETE /api/dashboard/bridges/:id": { action: "bridge.remove", target: param("id") },
  "POST /api/dashboard/pairing/:bridgeId/:code/:action": {
    action: (r) => `pairing.${r.params.action}`,
    target: (r) => `${r.params.bridgeId}/${r.params.code}`,
  },
  "DELETE /api/dashboard/pairing/:bridgeId/approved/:senderId": {
    action: "pairing.revoke",
    target: (r) => `${r.params.bridgeId}/${r.params.senderId}`,
  },
  "POST /api/dashboard/accounts": { action: "account.create", target: body("username") },
  "DELETE /api/dashboard/accounts/:username": { action: "account.remove", target: param("username") },
  "POST /api/dashboard/reminders": { action: "reminder.add", target: body("bridgeId") },
  "DELETE /api/dashboard/reminders/:id": { action: "reminder.remove", target: param("id") },
};

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the audit hook: "ok" once the route answered below 400. */
    audited?: AuditOutcome;
  }
}

const errorCodes = new WeakMap<FastifyRequest, string>();

/** Who made a request: the dashboard user, the bearer API token, the setup-code holder, or nobody known. */
function actorOf(request: FastifyRequest, status: number): string {
  const session = sessionOf(request);
  if (session) return session.username;
  const url = request.routeOptions.url ?? "";
  if ((url.startsWith("/admin/") || url.startsWith("/v1/")) && status !== 401) return "api-token";
  if (url.startsWith("/api/setup")) return "setup";
  return "anonymous";
}

/**
 * Records every request to an AUDITED_ROUTES route in the audit log once it was answered: actor, client
 * address, action, target, outcome (2xx/3xx ok, 401/403 denied, else failed with the error code). One hook
 * at the root sees every route, so an action added later is audited by adding one line to the table.
 */
export function registerAuditHook(app: FastifyInstance, audit: AuditLog): void {
  app.addHook("onError", async (request, _reply, error) => {
    const code = (error as FastifyError).code;
    if (typeof code === "string") errorCodes.set(request, code);
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = AUDITED_ROUTES[`${request.method} ${request.routeOptions.url ?? ""}`];
    if (!route) return;
    const status = reply.statusCode;
    const outcome: AuditOutcome =
      status < 400 ? "ok" : status === 401 || status === 403 ? "denied" : "failed";
    request.audited = outcome;
    const r = request as Req;
    const target = route.target?.(r);
    try {
      const login = route === AUDITED_ROUTES["POST /api/session"] && outcome === "ok";
      audit.record({
        actor: login && typeof target === "string" ? target : actorOf(request, status),
        ip: request.ip,
        action: typeof route.action === "string" ? route.action : route.action(r),
        target: typeof target === "string" ? target : null,
        outcome,
        detail: outcome === "ok" ? null : (errorCodes.get(request) ?? `HTTP ${status}`),
      });
    } catch (err) {
      request.log.error({ err: (err as Error).message }, "audit log write failed");
    }
  });
}
