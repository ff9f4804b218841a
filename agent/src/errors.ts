import { ErrorCode } from "./error-codes.js";

/**
 * An error the user caused and can fix. `message` says what was wrong, `fix` says what to do.
 * The CLI prints both without a stack trace; the HTTP layer maps it to a 4xx JSON body.
 */
export class UserError extends Error {
  /** Stable machine-readable code from the catalogue (error-codes.ts), e.g. "config_invalid". */
  readonly code: ErrorCode;
  /** One sentence telling the user how to fix it. */
  readonly fix: string | undefined;
  /** HTTP status when this crosses the API (default 400). */
  readonly status: number;

  constructor(
    message: string,
    opts: { fix?: string; code?: ErrorCode; status?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "UserError";
    this.code = opts.code ?? ErrorCode.USER_ERROR;
    this.fix = opts.fix;
    this.status = opts.status ?? 400;
  }
}

/** Renders any error for a human: message (+ fix) for UserError, one line for anything else. */
export function describeError(err: unknown): string {
  if (err instanceof UserError) return err.fix ? `${err.message}\n  fix: ${err.fix}` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
