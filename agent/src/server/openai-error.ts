import type { ErrorCode } from "../error-codes.js";

/**
 * The OpenAI API error body, so OpenAI client libraries raise their usual exceptions with our message:
 * `{"error": {"message", "type", "param", "code"}}` (platform.openai.com/docs/guides/error-codes).
 */
export interface OpenAiErrorBody {
  error: {
    message: string;
    /** "invalid_request_error" for 4xx (OpenAI uses it for 401/404 too), "server_error" for 5xx. */
    type: "invalid_request_error" | "server_error";
    /** The request field at fault in dotted form ("messages[0].role"), or null. */
    param: string | null;
    /** A code of the catalogue (error-codes.ts), OpenAI's own where OpenAI defines one. */
    code: ErrorCode | null;
  };
}

/** Builds the OpenAI error body; `type` follows from the HTTP status (< 500 invalid_request_error). */
export function openAiError(
  status: number,
  message: string,
  opts: { param?: string | null; code?: ErrorCode | null } = {},
): OpenAiErrorBody {
  return {
    error: {
      message,
      type: status < 500 ? "invalid_request_error" : "server_error",
      param: opts.param ?? null,
      code: opts.code ?? null,
    },
  };
}
