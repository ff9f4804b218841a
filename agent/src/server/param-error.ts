import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/** A 400 about one request field; `param` (dotted path) travels to the OpenAI error body. */
export class ParamError extends UserError {
  constructor(
    readonly param: string,
    message: string,
    fix: string,
    code: ErrorCode = ErrorCode.UNSUPPORTED_PARAMETER,
  ) {
    super(message, { fix, code, status: 400 });
  }
}
