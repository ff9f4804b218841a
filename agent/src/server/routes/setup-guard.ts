import type { FastifyReply, FastifyRequest } from "fastify";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { normaliseSetupCode } from "../../setup/setup-code.js";
import type { SetupServices } from "../../setup/setup-services.js";
import { tokensEqual } from "../api-token.js";

/**
 * `onRequest` hook for every setup route except `GET /api/setup`, checked in this order:
 * 1. the client address must be allowed (setupAddresses) → else 403 `setup_address`;
 * 2. setup must be unfinished → else 410 `setup_finished`;
 * 3. the address must not have reached the wrong-code limit → else 429 with Retry-After;
 * 4. `X-Setup-Code` must match (normalised, constant-time) → else 401, counted as a failure.
 */
export function setupGuard(s: SetupServices) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const ip = request.ip;
    if (!s.setupAddresses.allows(ip)) {
      throw new UserError(`the setup API only answers on the local network (your address: ${ip})`, {
        code: ErrorCode.SETUP_ADDRESS,
        status: 403,
        fix: "open the setup page from a computer on the same network as the device, or set setup.allowFrom",
      });
    }
    s.flow.assertOpen();
    if (s.setupCodeFailures.blocked(ip)) {
      reply.header("retry-after", String(s.setupCodeFailures.retryAfterSeconds(ip)));
      throw new UserError("too many wrong setup codes from your address", {
        code: ErrorCode.SETUP_RATE_LIMIT,
        status: 429,
        fix: "wait a minute, then type the code exactly as the device's screen shows it",
      });
    }
    const given = request.headers["x-setup-code"];
    const expected = s.setupCode();
    if (typeof given === "string" && expected && tokensEqual(normaliseSetupCode(given), expected)) return;
    if (typeof given === "string") s.setupCodeFailures.fail(ip);
    throw new UserError(given === undefined ? "the setup code is missing" : "the setup code is wrong", {
      code: ErrorCode.SETUP_CODE,
      status: 401,
      fix: "send the code shown on the device's screen (or `clawbox setup-code`) in the X-Setup-Code header",
    });
  };
}
