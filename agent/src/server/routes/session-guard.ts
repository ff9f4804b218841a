import type { FastifyReply, FastifyRequest } from "fastify";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import type { Session } from "../../setup/sessions.js";
import type { SetupServices } from "../../setup/setup-services.js";
import { tokensEqual } from "../api-token.js";
import { readCookie, SESSION_COOKIE } from "../http-cookie.js";
import { enforceRole } from "./role-policy.js";

const sessions = new WeakMap<FastifyRequest, Session>();

/** The session a request was admitted with (set by sessionGuard), or undefined. */
export function sessionOf(request: FastifyRequest): Session | undefined {
  return sessions.get(request);
}

/**
 * `onRequest` hook for dashboard routes: a live session cookie (else 401 `login_required`) and, on every
 * method other than GET/HEAD, the session's CSRF token in `X-CSRF-Token` (else 403 `csrf_token_missing`). The token
 * cannot be read by another site (it comes from a same-origin JSON answer), and SameSite=Strict keeps the
 * cookie off cross-site requests anyway: two independent defences (OWASP CSRF Prevention Cheat Sheet).
 * Then the account's role: a viewer outside role-policy.ts VIEWER_ROUTES gets 403 `admin_only`.
 */
export function sessionGuard(s: SetupServices) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const session = s.sessions.get(readCookie(request.headers.cookie, SESSION_COOKIE));
    if (!session) {
      throw new UserError("please log in", {
        code: ErrorCode.LOGIN_REQUIRED,
        status: 401,
        fix: "log in with the admin account",
      });
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      const given = request.headers["x-csrf-token"];
      if (typeof given !== "string" || !tokensEqual(given, session.csrfToken)) {
        throw new UserError("the request lacks the page's CSRF token", {
          code: ErrorCode.CSRF_TOKEN_MISSING,
          status: 403,
          fix: "reload the page and try again",
        });
      }
    }
    sessions.set(request, session);
    enforceRole(request, session);
  };
}
