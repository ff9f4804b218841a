import type { GbnfJsonSchema } from "node-llama-cpp";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/**
 * JSON Schema keywords node-llama-cpp's JSON schema grammar enforces (its `GbnfJsonSchema` type, v3.22),
 * plus annotations that constrain nothing (title, $schema, $id, $comment, examples, default). `anyOf` is
 * accepted and enforced as `oneOf`: the grammar emits a value of one alternative, which satisfies anyOf.
 */
const ENFORCED = new Set([
  "type",
  "description",
  "const",
  "enum",
  "oneOf",
  "anyOf",
  "properties",
  "required",
  "additionalProperties",
  "minProperties",
  "maxProperties",
  "items",
  "prefixItems",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "format",
  "$defs",
  "$ref",
]);
const ANNOTATIONS = new Set(["title", "$schema", "$id", "$comment", "examples", "default"]);
/** String formats the grammar can generate (GbnfJsonFormatStringSchema). */
const FORMATS = new Set(["date-time", "date", "time"]);
/** Types a `type` list may combine (GbnfJsonBasicSchema: the immutable types only). */
const SCALAR_TYPES = new Set(["string", "number", "integer", "boolean", "null"]);
const ALL_TYPES = new Set([...SCALAR_TYPES, "object", "array"]);

/**
 * Checks that a grammar can enforce `schema` and returns it in the shape node-llama-cpp takes
 * (`anyOf` renamed `oneOf`, annotations dropped). `param` names the request field for messages
 * ("response_format.json_schema.schema", "tools[0].function.parameters").
 *
 * Throws UserError (400, code "unsupported_schema") naming the keyword and its path when the schema uses
 * something the grammar cannot enforce (pattern, minimum, maximum, multipleOf, allOf, not, if/then/else,
 * patternProperties, uniqueItems, a format other than date-time/date/time, a $ref outside `#/$defs/` …):
 * output that silently ignored a constraint would break the promise that it validates.
 */
export function toGrammarSchema(schema: unknown, param: string): GbnfJsonSchema {
  return convert(schema, param, param) as GbnfJsonSchema;
}

function convert(node: unknown, path: string, param: string): unknown {
  if (typeof node !== "object" || node === null || Array.isArray(node)) {
    throw unsupported(param, `${path} must be a JSON Schema object`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (ANNOTATIONS.has(key)) continue;
    if (!ENFORCED.has(key)) {
      throw unsupported(
        param,
        `${path} uses "${key}", which the output grammar cannot enforce (supported: ${[...ENFORCED].join(", ")})`,
      );
    }
    const at = `${path}.${key}`;
    switch (key) {
      case "properties":
      case "$defs":
        out[key] = mapValues(value, at, param);
        break;
      case "oneOf":
      case "anyOf":
      case "prefixItems":
        if (!Array.isArray(value)) throw unsupported(param, `${at} must be an array of schemas`);
        out[key === "anyOf" ? "oneOf" : key] = value.map((v, i) => convert(v, `${at}[${i}]`, param));
        break;
      case "items":
        out.items = convert(value, at, param);
        break;
      case "additionalProperties":
        out.additionalProperties = typeof value === "boolean" ? value : convert(value, at, param);
        break;
      case "type":
        checkType(value, node as Record<string, unknown>, at, param);
        out.type = value;
        break;
      case "format":
        if (typeof value !== "string" || !FORMATS.has(value)) {
          throw unsupported(
            param,
            `${at} "${String(value)}" cannot be enforced (supported: date-time, date, time)`,
          );
        }
        out.format = value;
        break;
      case "$ref":
        if (typeof value !== "string" || !value.startsWith("#/$defs/")) {
          throw unsupported(param, `${at} must point into "#/$defs/" (got ${JSON.stringify(value)})`);
        }
        out.$ref = value;
        break;
      default:
        out[key] = value;
    }
  }
  return out;
}

function mapValues(value: unknown, path: string, param: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw unsupported(param, `${path} must be an object of schemas`);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, `${path}.${k}`, param)]));
}

function checkType(value: unknown, node: Record<string, unknown>, path: string, param: string): void {
  const list = Array.isArray(value) ? value : [value];
  for (const t of list) {
    if (typeof t !== "string" || !ALL_TYPES.has(t))
      throw unsupported(param, `${path} "${String(t)}" is not a JSON type`);
  }
  if (Array.isArray(value) && value.some((t) => !SCALAR_TYPES.has(t as string))) {
    throw unsupported(
      param,
      `${path} lists ${JSON.stringify(value)}: a type list may only combine string, number, integer, boolean and null; use anyOf for object or array alternatives`,
    );
  }
  if (node.format !== undefined && (node.minLength !== undefined || node.maxLength !== undefined)) {
    throw unsupported(param, `${path}: "format" cannot be combined with minLength/maxLength`);
  }
}

function unsupported(param: string, message: string): UserError {
  return new UserError(message, {
    status: 400,
    code: ErrorCode.UNSUPPORTED_SCHEMA,
    fix: `remove or rewrite that part of ${param}`,
  });
}
