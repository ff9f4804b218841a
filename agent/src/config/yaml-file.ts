import { readFileSync } from "node:fs";
import type { ErrorObject, ValidateFunction } from "ajv";
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/**
 * Reads a YAML file and validates it with a compiled ajv schema.
 * Returns the parsed value typed as T.
 * Throws UserError (code `yaml_syntax` or `yaml_invalid`) whose message names the file, the line,
 * the key path and the reason, with a fix; never a stack trace for bad input.
 */
export function loadYamlFile<T>(file: string, validate: ValidateFunction<T>, what = "file"): T {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${what} ${file}: ${code === "ENOENT" ? "no such file" : code}`, {
      code: ErrorCode.FILE_ERROR,
      fix: `check the path, or create ${file}`,
      cause: err,
    });
  }
  return parseYamlText(text, file, validate, what);
}

/** As loadYamlFile, on text already read (`file` is used in messages only). */
export function parseYamlText<T>(
  text: string,
  file: string,
  validate: ValidateFunction<T>,
  what = "file",
): T {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e ? lineCounter.linePos(e.pos[0]) : undefined;
    throw new UserError(
      `${what} ${file}${pos ? `:${pos.line}:${pos.col}` : ""}: YAML syntax error: ${e?.message.split("\n")[0]}`,
      { code: ErrorCode.YAML_SYNTAX, fix: "fix the YAML syntax at that line (indentation, quotes, colons)" },
    );
  }
  const value = doc.toJS() ?? {};
  if (!validate(value)) {
    const err = pickError(validate.errors ?? []);
    const path = errorPath(err);
    const line = lineOf(doc.contents, path, lineCounter);
    throw new UserError(
      `${what} ${file}${line ? `:${line}` : ""}: ${path.length ? path.join(".") : "(top level)"} ${describe(err)}`,
      { code: ErrorCode.YAML_INVALID, fix: fixFor(err, path) },
    );
  }
  return value;
}

/** The most specific error: ajv lists oneOf/anyOf wrappers after their branches' errors. */
function pickError(errors: ErrorObject[]): ErrorObject | undefined {
  const concrete = errors.filter((e) => !["oneOf", "anyOf", "if"].includes(e.keyword));
  return concrete.sort((a, b) => b.instancePath.length - a.instancePath.length)[0] ?? errors[0];
}

function errorPath(err: ErrorObject | undefined): string[] {
  if (!err) return [];
  const path = err.instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (err.keyword === "additionalProperties") path.push(String(err.params.additionalProperty));
  return path;
}

function describe(err: ErrorObject | undefined): string {
  if (!err) return "is invalid";
  switch (err.keyword) {
    case "additionalProperties":
      return "is not a known key";
    case "required":
      return `is missing required key "${err.params.missingProperty}"`;
    case "enum":
      return `must be one of: ${(err.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `must be ${JSON.stringify(err.params.allowedValue)}`;
    default:
      return err.message ?? "is invalid";
  }
}

function fixFor(err: ErrorObject | undefined, path: string[]): string {
  const key = path.join(".") || "the document";
  if (err?.keyword === "additionalProperties")
    return `remove or rename ${key} (check its spelling against the docs)`;
  if (err?.keyword === "required") return `add "${err.params.missingProperty}" under ${key}`;
  return `change ${key} so that it ${describe(err)
    .replace(/^must /, "is ")
    .replace(/^is is /, "is ")}`;
}

/**
 * 1-based line of the deepest node along `path` (keys and array indexes) that exists in the YAML `text`;
 * null when the text has no such node. For messages about values a schema cannot check (semantic checks).
 */
export function yamlLineOf(text: string, path: string[]): number | null {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  return lineOf(doc.contents, path, lineCounter);
}

/** 1-based line of the deepest node along `path` that exists in the document. */
function lineOf(root: unknown, path: string[], lc: LineCounter): number | null {
  let node = root as YamlNode | null | undefined;
  let line: number | null = node?.range ? lc.linePos(node.range[0]).line : null;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === key);
      if (!pair) break;
      const keyNode = pair.key as YamlNode | undefined;
      if (keyNode?.range) line = lc.linePos(keyNode.range[0]).line;
      node = pair.value as YamlNode | null;
    } else if (isSeq(node)) {
      node = node.items[Number(key)] as YamlNode | undefined;
      if (node?.range) line = lc.linePos(node.range[0]).line;
    } else break;
  }
  return line;
}
