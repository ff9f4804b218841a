import { ErrorCode } from "../error-codes.js";
/** The subset of an ajv ErrorObject that fastify passes in `error.validation`. */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

export interface ValidationProblem {
  /** One sentence naming the field, e.g. "messages[0].role must be one of: system, user, assistant". */
  message: string;
  /** Dotted field path ("messages[0].content"), null for the whole body. */
  param: string | null;
  /** OpenAI-style code of the catalogue: missing_required_parameter, invalid_type or invalid_value. */
  code: ErrorCode;
}

/**
 * Turns ajv errors of a request body into one clear message. Picks the deepest error (the most specific
 * field); when the schema offered alternatives (anyOf: string or array) it lists all accepted types.
 */
export function describeValidation(errors: readonly SchemaError[], context = "body"): ValidationProblem {
  const concrete = errors.filter((e) => e.keyword !== "anyOf" && e.keyword !== "oneOf");
  const pool = concrete.length > 0 ? concrete : errors;
  // At equal depth a constraint error (maxItems, minimum …) beats a type error: it comes from the
  // alternative whose type matched, so it names the real limit ("stop must have at most 4 items").
  const deepest = pool.reduce<SchemaError | undefined>(
    (best, e) =>
      best === undefined ||
      depth(e) > depth(best) ||
      (depth(e) === depth(best) && best.keyword === "type" && e.keyword !== "type")
        ? e
        : best,
    undefined,
  );
  if (!deepest)
    return { message: `the request ${context} is invalid`, param: null, code: ErrorCode.INVALID_VALUE };

  const path = fieldPath(deepest);
  const param = path || null;
  const subject = path || `the request ${context}`;
  switch (deepest.keyword) {
    case "required":
      return {
        message: `${subject} is missing (required)`,
        param,
        code: ErrorCode.MISSING_REQUIRED_PARAMETER,
      };
    case "type": {
      const types = new Set<string>();
      for (const e of pool)
        if (e.keyword === "type" && e.instancePath === deepest.instancePath) types.add(String(e.params.type));
      const list = [...types].flatMap((t) => t.split(",")).join(" or ");
      return { message: `${subject} must be ${article(list)}`, param, code: ErrorCode.INVALID_TYPE };
    }
    case "enum": {
      const allowed = (deepest.params.allowedValues as unknown[]).map(String).join(", ");
      return { message: `${subject} must be one of: ${allowed}`, param, code: ErrorCode.INVALID_VALUE };
    }
    case "maxItems":
    case "minItems": {
      const bound = deepest.keyword === "maxItems" ? "at most" : "at least";
      const limit = Number(deepest.params.limit);
      const message = `${subject} must have ${bound} ${limit} item${limit === 1 ? "" : "s"}`;
      return { message, param, code: ErrorCode.INVALID_VALUE };
    }
    case "maximum":
    case "minimum": {
      const bound = deepest.keyword === "maximum" ? "at most" : "at least";
      return {
        message: `${subject} must be ${bound} ${String(deepest.params.limit)}`,
        param,
        code: ErrorCode.INVALID_VALUE,
      };
    }
    default:
      return {
        message: `${subject} ${deepest.message ?? "is invalid"}`,
        param,
        code: ErrorCode.INVALID_VALUE,
      };
  }
}

function depth(e: SchemaError): number {
  return e.instancePath.split("/").length + (e.keyword === "required" ? 1 : 0);
}

/** "/messages/0/role" → "messages[0].role"; a required error names the missing child. */
function fieldPath(e: SchemaError): string {
  const parts = e.instancePath.split("/").slice(1);
  if (e.keyword === "required") parts.push(String(e.params.missingProperty));
  let out = "";
  for (const raw of parts) {
    const p = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  }
  return out;
}

function article(types: string): string {
  const first = types.split(" or ")[0] ?? "";
  if (first === "null") return types;
  return `${/^[aeiou]/.test(first) ? "an" : "a"} ${types}`;
}
