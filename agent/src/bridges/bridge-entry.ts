/**
 * One bridge entry as the dashboard and the wizard edit it: the type list they build their forms from,
 * validation of a single entry with messages that name the bridge and the key, and putting back the
 * stored secrets that the API only ever shows as "********".
 */

import { Ajv } from "ajv";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import {
  BRIDGE_ID_PATTERN,
  type BridgeConfig,
  bridgesSchema,
  COMMON_BRIDGE_PROPERTIES,
} from "./config-schema.js";
import { bridgeDefinitions, getBridgeDefinition } from "./registry.js";
import type { JsonSchema } from "./types.js";

/** What the API shows instead of a secret value (same as redactBridgeConfig). */
export const SECRET_PLACEHOLDER = "********";

/** One bridge type for the web forms (GET …/bridge-types). */
export interface BridgeTypeInfo {
  type: string;
  description: string;
  /** The type's own keys first, then the keys every bridge shares (minus `type`); JSON Schema with descriptions. */
  properties: Record<string, JsonSchema>;
  /** Required keys besides `type`. */
  required: string[];
  /** Keys holding secrets: password inputs, shown as "********" once stored. */
  secretKeys: string[];
  /** What a stable sender id looks like on this platform (for allowFrom), if the definition says. */
  senderIdHint?: string;
}

/** Every registered bridge type (from the registry, sorted by type) in the shape the forms need. */
export function bridgeTypeInfos(): BridgeTypeInfo[] {
  const { type: _type, ...common } = COMMON_BRIDGE_PROPERTIES;
  return bridgeDefinitions().map((d) => ({
    type: d.type,
    description: d.description,
    properties: { ...d.properties, ...common },
    required: d.required ?? [],
    secretKeys: d.secretKeys,
    ...(d.senderIdHint ? { senderIdHint: d.senderIdHint } : {}),
  }));
}

/** Throws UserError (400 `bridge_id`) unless `id` is a valid bridge id (BRIDGE_ID_PATTERN). */
export function checkBridgeId(id: string): void {
  if (!new RegExp(BRIDGE_ID_PATTERN).test(id)) {
    throw new UserError(`bridge id "${id}" is not allowed`, {
      code: ErrorCode.BRIDGE_ID,
      fix: "use 1–64 lowercase letters, digits, '-' or '_', starting with a letter or digit (e.g. family-telegram)",
    });
  }
}

/**
 * Validates one bridge entry with the config schema's `bridges:` part (ajv, the registry's sub-schemas).
 * Returns a copy with the schema defaults filled in (what BridgeManager runs); `config` is not changed.
 * Throws UserError (400 `bridge_config`) whose message names the bridge and the key, e.g.
 * `bridge "irc-lan": unknown key "colour"`, and whose fix lists the accepted keys when one was unknown.
 */
export function validateBridgeEntry(id: string, config: unknown): BridgeConfig {
  checkBridgeId(id);
  if (!config || typeof config !== "object" || Array.isArray(config)) {
    throw new UserError(`bridge "${id}": the settings must be an object with a "type"`, {
      code: ErrorCode.BRIDGE_CONFIG,
      fix: 'send {"config": {"type": "<bridge type>", …}}',
    });
  }
  // Compiled per call: types can be registered at run time, and saving a bridge is a rare admin action.
  const validate = new Ajv({ allErrors: false, useDefaults: true, strict: false }).compile(bridgesSchema());
  const entry = structuredClone(config) as BridgeConfig;
  if (validate({ [id]: entry })) return entry;
  const e = validate.errors?.[0];
  const path = (e?.instancePath ?? "").split("/").slice(2).join(".");
  const type = typeof entry.type === "string" ? entry.type : "";
  const definition = getBridgeDefinition(type);
  const fail = (what: string, fix: string): never => {
    throw new UserError(`bridge "${id}": ${what}`, { code: ErrorCode.BRIDGE_CONFIG, fix });
  };
  if (!type)
    fail(
      '"type" is missing',
      `add "type": one of ${bridgeDefinitions()
        .map((d) => d.type)
        .join(", ")}`,
    );
  if (!definition) {
    fail(
      `unknown bridge type "${type}"`,
      `use one of: ${bridgeDefinitions()
        .map((d) => d.type)
        .join(", ")}`,
    );
  }
  if (e?.keyword === "additionalProperties") {
    const key = path ? `${path}.${String(e.params.additionalProperty)}` : String(e.params.additionalProperty);
    const known = Object.keys(bridgeTypeInfos().find((t) => t.type === type)?.properties ?? {});
    fail(
      `unknown key "${key}"`,
      `remove it or correct the spelling; ${type} bridges accept: ${known.join(", ")}`,
    );
  }
  if (e?.keyword === "required") {
    const key = path ? `${path}.${String(e.params.missingProperty)}` : String(e.params.missingProperty);
    fail(`"${key}" is missing`, `fill in "${key}"`);
  }
  if (e?.keyword === "enum") {
    fail(
      `"${path}" must be one of ${(e.params.allowedValues as unknown[]).join(", ")}`,
      "choose one of the listed values",
    );
  }
  return fail(`"${path || "settings"}" ${e?.message ?? "is not valid"}`, "correct the value and save again");
}

/**
 * For an edited entry: every secret key whose value is still "********" gets the value stored in
 * `stored` (same bridge id). Returns a new object. Throws UserError (400 `bridge_secret`) when a
 * placeholder has nothing to stand for (new bridge, or the type changed).
 */
export function restoreSecrets(
  id: string,
  config: BridgeConfig,
  stored: BridgeConfig | undefined,
): BridgeConfig {
  const out: BridgeConfig = { ...config };
  const definition = getBridgeDefinition(String(config.type));
  for (const key of definition?.secretKeys ?? []) {
    if (out[key] !== SECRET_PLACEHOLDER) continue;
    if (stored && stored.type === config.type && stored[key] !== undefined) out[key] = stored[key];
    else {
      throw new UserError(`bridge "${id}": "${key}" has no stored value to keep`, {
        code: ErrorCode.BRIDGE_SECRET,
        fix: `type the ${key} again`,
      });
    }
  }
  return out;
}
