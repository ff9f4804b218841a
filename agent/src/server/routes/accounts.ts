import type { FastifyPluginAsync } from "fastify";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import type { Role } from "../../setup/sessions.js";
import type { SetupServices } from "../../setup/setup-services.js";
import { sessionGuard, sessionOf } from "./session-guard.js";

/**
 * Dashboard accounts (admin only, role-policy.ts): `GET /api/dashboard/accounts` → `{accounts}`;
 * `POST /api/dashboard/accounts {username, password, role}` → 201 `{account}` (`invalid_username`,
 * `weak_password` 400, `account_exists` 409); `DELETE /api/dashboard/accounts/:username` → `{accounts}`
 * (`not_found` 404, `last_admin` 409, `account_is_self` 409 for one's own account).
 */
export const accountRoutes: FastifyPluginAsync<{ setup: SetupServices }> = async (app, { setup: s }) => {
  app.addHook("onRequest", sessionGuard(s));
  app.get("/api/dashboard/accounts", async () => ({ accounts: s.admins.accounts() }));
  app.post<{ Body: { username: string; password: string; role: Role } }>(
    "/api/dashboard/accounts",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["username", "password", "role"],
          properties: {
            username: { type: "string", maxLength: 64 },
            password: { type: "string", maxLength: 1024 },
            role: { type: "string", enum: ["admin", "viewer"] },
          },
        },
      },
    },
    async (request, reply) => {
      const { username, password, role } = request.body;
      return reply.code(201).send({ account: await s.admins.addAccount(username, password, role) });
    },
  );
  app.delete<{ Params: { username: string } }>("/api/dashboard/accounts/:username", async (request) => {
    if (sessionOf(request)?.username === request.params.username) {
      throw new UserError("you cannot remove the account you are logged in with", {
        code: ErrorCode.ACCOUNT_IS_SELF,
        status: 409,
        fix: "log in with another admin account to remove this one",
      });
    }
    s.admins.removeAccount(request.params.username);
    return { accounts: s.admins.accounts() };
  });
};
