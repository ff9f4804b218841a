import { UserError } from "../errors.js";

/** A 400 about one request field; `param` (dotted path) travels to the OpenAI error body. */
export class ParamError extends UserError {
  constructor(
    readonly param: string,
    message: string,
    fix: string,
    code = "unsupported_parameter",
  ) {
    super(message, { fix, code, status: 400 });
  }
}
