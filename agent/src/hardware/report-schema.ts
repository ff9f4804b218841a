import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject } from "ajv";
import { distance } from "fastest-levenshtein";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { HardwareReport } from "./types.js";

const nonNegInt = { type: "integer", minimum: 0 } as const;
const nullableMHz = { type: ["integer", "null"], minimum: 0 } as const;

/**
 * JSON Schema (draft-07) of HardwareReport (agent/src/hardware/types.ts), schemaVersion 1.
 * Reports written by other tools are accepted: `schemaVersion` (default 1) and `platform` (default "linux")
 * may be left out, and keys the schema does not know are kept and reported as warnings. A key that looks
 * like a misspelling of a known one (see `unknownKeys`) is still an error, so a hand-written report never
 * silently loses a number.
 */
export const hardwareReportSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://clawbox.dev/schemas/hardware-report-1.json",
  title: "HardwareReport",
  type: "object",
  required: ["arch", "board", "cpu", "memory", "gpus", "diskFreeBytes"],
  properties: {
    schemaVersion: { const: 1, default: 1 },
    arch: { type: "string", minLength: 1, description: "process.arch: arm64, x64, …" },
    platform: { type: "string", minLength: 1, default: "linux" },
    board: { type: ["string", "null"] },
    cpu: {
      type: "object",
      required: ["model", "physicalCores", "logicalCores", "flags"],
      properties: {
        model: { type: "string", minLength: 1 },
        vendor: { type: "string" },
        physicalCores: { type: "integer", minimum: 1 },
        logicalCores: { type: "integer", minimum: 1 },
        performanceCores: { type: "integer", minimum: 1 },
        efficiencyCores: nonNegInt,
        clusters: {
          type: "array",
          items: {
            type: "object",
            required: ["name", "cpuIds", "maxMHz"],
            properties: {
              name: { type: "string", minLength: 1 },
              cpuIds: { type: "array", minItems: 1, items: nonNegInt },
              maxMHz: nullableMHz,
            },
          },
        },
        flags: { type: "array", items: { type: "string", pattern: "^[a-z0-9_.]+$" } },
        maxMHz: nullableMHz,
      },
    },
    memory: {
      type: "object",
      required: ["totalBytes", "availableBytes", "swapBytes"],
      properties: {
        totalBytes: { type: "integer", minimum: 1 },
        availableBytes: nonNegInt,
        swapBytes: nonNegInt,
      },
    },
    gpus: {
      type: "array",
      items: {
        type: "object",
        required: ["vendor", "model", "vramBytes", "unifiedMemory"],
        properties: {
          vendor: { enum: ["nvidia", "amd", "intel", "apple", "broadcom", "arm", "other"] },
          model: { type: "string", minLength: 1 },
          vramBytes: { type: ["integer", "null"], minimum: 0 },
          unifiedMemory: { type: "boolean" },
          driverVersion: { type: ["string", "null"] },
          computeCapability: { type: ["string", "null"], pattern: "^\\d+\\.\\d+$" },
        },
      },
    },
    diskFreeBytes: nonNegInt,
    diskPath: { type: "string" },
    os: {
      type: "object",
      required: ["distro", "release", "kernel"],
      properties: { distro: { type: "string" }, release: { type: "string" }, kernel: { type: "string" } },
    },
    detectedAt: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T" },
    source: { type: "string" },
    notes: { type: "array", items: { type: "string" } },
  },
} as const;

const validate = new Ajv({
  allErrors: true,
  allowUnionTypes: true,
  useDefaults: true,
}).compile<HardwareReport>(hardwareReportSchema);

/**
 * Checks that `value` is a HardwareReport (schema above, plus: availableBytes ≤ totalBytes,
 * performanceCores ≤ physicalCores ≤ logicalCores) and returns it typed, with the defaults of left-out
 * optional keys filled in (the object is completed in place).
 * Unknown keys are kept; each is passed to `warn` ("hardware report r.json: cpu.socket is not a key clawbox
 * reads; kept"), unless it is a likely misspelling of a known key, which throws.
 * Throws UserError (code `hardware_report`) naming the first wrong field, e.g.
 * "hardware report report.json: cpu.physicalCores must be integer"; `what` names the source in the message.
 */
export function validateHardwareReport(
  value: unknown,
  what = "hardware report",
  warn: (message: string) => void = () => {},
): HardwareReport {
  if (!validate(value)) {
    const err = pickError(validate.errors ?? []);
    throw invalid(what, fieldOf(err), describe(err));
  }
  for (const unknown of unknownKeys(value, hardwareReportSchema, "")) {
    if (unknown.nearest)
      throw new UserError(`${what}: ${unknown.path} is not a known field`, {
        code: ErrorCode.HARDWARE_REPORT,
        fix: `did you mean ${unknown.nearest}? Rename the key (see agent/src/hardware/types.ts)`,
      });
    warn(`${what}: ${unknown.path} is not a key clawbox reads; kept`);
  }
  const r = value;
  if (r.memory.availableBytes > r.memory.totalBytes)
    throw invalid(what, "memory.availableBytes", "must not exceed memory.totalBytes");
  if (r.cpu.physicalCores > r.cpu.logicalCores)
    throw invalid(what, "cpu.physicalCores", "must not exceed cpu.logicalCores");
  if (r.cpu.performanceCores !== undefined && r.cpu.performanceCores > r.cpu.physicalCores)
    throw invalid(what, "cpu.performanceCores", "must not exceed cpu.physicalCores");
  return r;
}

/**
 * Reads a HardwareReport JSON file (what `clawbox detect --json > file` writes) and validates it.
 * Throws UserError for a missing file, invalid JSON or an invalid report, naming the file.
 */
export function loadHardwareReport(file: string, warn?: (message: string) => void): HardwareReport {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(`cannot read hardware report ${file}: ${(err as NodeJS.ErrnoException).code}`, {
      code: ErrorCode.FILE_ERROR,
      fix: "check the path; create one with `clawbox detect --json > report.json`",
      cause: err,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`hardware report ${file} is not valid JSON: ${(err as Error).message}`, {
      code: ErrorCode.HARDWARE_REPORT,
      fix: "write it with `clawbox detect --json > report.json` or fix the JSON syntax",
      cause: err,
    });
  }
  return validateHardwareReport(value, `hardware report ${file}`, warn);
}

function invalid(what: string, field: string, reason: string): UserError {
  return new UserError(`${what}: ${field} ${reason}`, {
    code: ErrorCode.HARDWARE_REPORT,
    fix: `correct ${field} (see agent/src/hardware/types.ts), or regenerate the report with \`clawbox detect --json\``,
  });
}

function pickError(errors: ErrorObject[]): ErrorObject | undefined {
  return [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
}

function fieldOf(err: ErrorObject | undefined): string {
  if (!err) return "(report)";
  const parts = err.instancePath.split("/").slice(1);
  if (err.keyword === "required") parts.push(String(err.params.missingProperty));
  return parts.length > 0 ? parts.join(".") : "(report)";
}

function describe(err: ErrorObject | undefined): string {
  if (!err) return "is invalid";
  if (err.keyword === "required") return "is missing";
  if (err.keyword === "enum")
    return `must be one of: ${(err.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
  if (err.keyword === "const") return `must be ${JSON.stringify(err.params.allowedValue)}`;
  return err.message ?? "is invalid";
}

interface SchemaNode {
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly items?: unknown;
}

/**
 * Keys of `value` that `schema` does not declare, walking nested objects and arrays, as dotted paths
 * ("cpu.socket", "gpus.0.pcieLanes"). `nearest` is the known key it most likely misspells: equal ignoring
 * case, or within edit distance 2 for keys of 5+ characters (1 for shorter) — close enough that a typo is
 * far likelier than a new field (e.g. "swapbytes" → "swapBytes", "physcalCores" → "physicalCores").
 */
function unknownKeys(
  value: unknown,
  schema: SchemaNode,
  prefix: string,
): Array<{ path: string; nearest?: string }> {
  const found: Array<{ path: string; nearest?: string }> = [];
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => {
      found.push(...unknownKeys(item, schema.items as SchemaNode, `${prefix}${i}.`));
    });
    return found;
  }
  if (value === null || typeof value !== "object" || !schema.properties) return found;
  const known = Object.keys(schema.properties);
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties[key] as SchemaNode | undefined;
    if (childSchema) {
      found.push(...unknownKeys(child, childSchema, `${prefix}${key}.`));
      continue;
    }
    const limit = key.length >= 5 ? 2 : 1;
    const nearest = known.find((k) => k.toLowerCase() === key.toLowerCase() || distance(k, key) <= limit);
    found.push({
      path: `${prefix}${key}`,
      nearest: nearest === undefined ? undefined : `${prefix}${nearest}`,
    });
  }
  return found;
}
