import type { FastifyReply, FastifyRequest } from "fastify";
import { ErrorCode } from "../error-codes.js";
import { tokensEqual } from "./api-token.js";
import { openAiError } from "./openai-error.js";

/**
 * An `onRequest` hook that requires `Authorization: Bearer <token>`. Missing or wrong → 401 with the
 * OpenAI error body and a message telling how to get the token; the comparison is constant-time
 * (`tokensEqual`). CORS preflights (OPTIONS) pass: browsers never send credentials on them.
 */
export function bearerAuth(token: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.method === "OPTIONS") return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (match?.[1] && tokensEqual(match[1], token)) return;
    const what = header ? "the API token is wrong" : "this endpoint needs an API token";
    reply.header("www-authenticate", 'Bearer realm="clawbox"');
    return reply
      .code(401)
      .send(
        openAiError(
          401,
          `${what}: send "Authorization: Bearer <token>"; print the token on the device with \`clawbox token\``,
          { code: ErrorCode.INVALID_API_KEY },
        ),
      );
  };
}
