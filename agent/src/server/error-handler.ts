import type { FastifyError, FastifyInstance, FastifyRequest } from "fastify";
import { ErrorCode, isErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { type OpenAiErrorBody, openAiError } from "./openai-error.js";
import { ParamError } from "./param-error.js";
import { describeValidation } from "./validation-message.js";

/**
 * The one error handler of the API. Every error leaves as the OpenAI error body:
 * - schema validation → 400 naming the field (`param`), e.g. "messages[0].role must be one of: …";
 * - UserError → its status, message and fix ("… — fix: …"), code = its code;
 * - fastify's own 4xx (bad JSON, wrong content type, body too large) → that status and message;
 * - anything else → 500 "internal error (request id …)"; the stack goes to the log only, never to the client.
 * Also answers unknown routes with 404 in the same shape.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, body } = toErrorResponse(err, request);
    return reply.code(status).send(body);
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(
      openAiError(404, `no such endpoint: ${request.method} ${request.url.split("?")[0]}`, {
        code: ErrorCode.NOT_FOUND,
      }),
    ),
  );
}

/**
 * What the client did wrong for fastify's request-parsing errors (fastify 5 `lib/errors.js` codes), said
 * with the fix, under OpenAI-style codes instead of fastify's internal FST_ERR_* names.
 */
const FASTIFY_ERRORS: Record<string, { message: string; code: ErrorCode }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    message:
      "the request body is not valid JSON — fix: send one JSON object (check quotes, commas and brackets)",
    code: ErrorCode.INVALID_JSON,
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    message: "the request body is empty but Content-Type is application/json — fix: send a JSON object",
    code: ErrorCode.INVALID_JSON,
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    message: "unsupported Content-Type — fix: send the body as JSON with Content-Type: application/json",
    code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    message: "the request body is too large — fix: send a shorter prompt or fewer messages",
    code: ErrorCode.BODY_TOO_LARGE,
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    message:
      "the Content-Length header does not match the body — fix: let the HTTP client set Content-Length",
    code: ErrorCode.INVALID_REQUEST,
  },
};

/**
 * Maps any thrown value to an HTTP status and the OpenAI error body (rules above); logs 5xx. Also used
 * for errors that happen after an SSE stream started (sent as a `data: {"error": …}` event).
 */
export function toErrorResponse(
  err: unknown,
  request: FastifyRequest,
): { status: number; body: OpenAiErrorBody } {
  const e = err as Partial<FastifyError>;
  if (e?.validation) {
    const problem = describeValidation(e.validation, e.validationContext ?? "body");
    return {
      status: 400,
      body: openAiError(400, problem.message, { param: problem.param, code: problem.code }),
    };
  }
  if (err instanceof UserError) {
    if (err.status >= 500) request.log.warn({ code: err.code }, err.message);
    const message = err.fix ? `${err.message} — fix: ${err.fix}` : err.message;
    const param = err instanceof ParamError ? err.param : null;
    return { status: err.status, body: openAiError(err.status, message, { param, code: err.code }) };
  }
  const status = e?.statusCode;
  if (status !== undefined && status >= 400 && status < 500 && typeof e.message === "string") {
    const known = typeof e.code === "string" ? FASTIFY_ERRORS[e.code] : undefined;
    if (known) return { status, body: openAiError(status, known.message, { code: known.code }) };
    // fastify's internal codes (FST_ERR_*) name its own internals, not the client's problem: never sent;
    // only catalogue codes reach a client (one catalogue of codes, error-codes.ts)
    const code = isErrorCode(e.code) ? e.code : ErrorCode.INVALID_REQUEST;
    return { status, body: openAiError(status, e.message, { code }) };
  }
  request.log.error({ err }, "unhandled error");
  return {
    status: 500,
    body: openAiError(500, `internal error (request id ${request.id})`, { code: ErrorCode.INTERNAL_ERROR }),
  };
}
