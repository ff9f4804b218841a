import type { FastifyError, FastifyInstance, FastifyRequest } from "fastify";
import { UserError } from "../errors.js";
import { ParamError } from "./chat-request.js";
import { type OpenAiErrorBody, openAiError } from "./openai-error.js";
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
        code: "not_found",
      }),
    ),
  );
}

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
    return { status, body: openAiError(status, e.message, { code: e.code ?? null }) };
  }
  request.log.error({ err }, "unhandled error");
  return {
    status: 500,
    body: openAiError(500, `internal error (request id ${request.id})`, { code: "internal_error" }),
  };
}
