import type { FastifyPluginAsync } from "fastify";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { SESSION_TTL_MS } from "../../setup/sessions.js";
import type { SetupServices } from "../../setup/setup-services.js";
import { readCookie, SESSION_COOKIE, sessionCookie } from "../http-cookie.js";
import { sessionGuard, sessionOf } from "./session-guard.js";

/**
 * Dashboard login:
 * - `POST /api/session {username, password}` → 200 `{username, role, csrfToken}` + session cookie; wrong →
 *   401 `login_failed`; more than 5 failures a minute from one address → 429 (Retry-After);
 * - `GET /api/session` → `{username, role, csrfToken}` or 401 (the web app asks at start);
 * - `DELETE /api/session` (needs X-CSRF-Token) → logs out and clears the cookie.
 */
export const sessionRoutes: FastifyPluginAsync<{ setup: SetupServices }> = async (app, { setup: s }) => {
  app.post<{ Body: { username: string; password: string } }>(
    "/api/session",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["username", "password"],
          properties: {
            username: { type: "string", maxLength: 64 },
            password: { type: "string", maxLength: 1024 },
          },
        },
      },
    },
    async (request, reply) => {
      const ip = request.ip;
      if (s.loginFailures.blocked(ip)) {
        reply.header("retry-after", String(s.loginFailures.retryAfterSeconds(ip)));
        throw new UserError("too many failed logins from your address", {
          code: ErrorCode.LOGIN_RATE_LIMIT,
          status: 429,
          fix: "wait a minute before trying again",
        });
      }
      const { username, password } = request.body;
      if (!(await s.admins.verify(username, password))) {
        s.loginFailures.fail(ip);
        request.log.warn({ username }, "failed login");
        throw new UserError("wrong user name or password", {
          code: ErrorCode.LOGIN_FAILED,
          status: 401,
          fix: "check the user name and password chosen during setup",
        });
      }
      const { id, session } = s.sessions.create(username);
      reply.header(
        "set-cookie",
        sessionCookie(id, { secure: s.secureCookies, maxAgeSeconds: SESSION_TTL_MS / 1000 }),
      );
      request.log.info({ username }, "login");
      return { username: session.username, role: session.role, csrfToken: session.csrfToken };
    },
  );

  app.register(async (secured) => {
    secured.addHook("onRequest", sessionGuard(s));
    secured.get("/api/session", async (request) => {
      const session = sessionOf(request);
      return { username: session?.username, role: session?.role, csrfToken: session?.csrfToken };
    });
    secured.delete("/api/session", async (request, reply) => {
      s.sessions.delete(readCookie(request.headers.cookie, SESSION_COOKIE));
      reply.header("set-cookie", sessionCookie("", { secure: s.secureCookies, maxAgeSeconds: 0 }));
      return { loggedOut: true };
    });
  });
};
