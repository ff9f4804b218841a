import { Ajv } from "ajv";
import { type ErrorCode, isErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { type BridgeConfig, bridgesSchema } from "./config-schema.js";
import { getBridgeDefinition } from "./registry.js";
import type { BridgeLogger } from "./types.js";

export interface ConnectionTestResult {
  ok: boolean;
  /** What went wrong, for the owner (bad token, unreachable host, missing intent); absent when ok. */
  reason?: string;
  /** What to do about it, when known. */
  fix?: string;
  /**
   * What kind of failure, for a headline in the owner's language (the `reason` stays the detail):
   * "auth" (token/password refused), "unreachable" (host, port or DNS), "permission" (a missing intent or
   * scope), "config" (the entry itself), "timeout", "not-registered" (Signal account), "listen" (the port
   * this bridge listens on is taken), "other".
   */
  kind?: FailureKind;
  /** The bot's identity as the platform reported it, when ok. */
  botId?: string;
  /** Time to connect, ms. */
  ms: number;
}

export type FailureKind =
  | "auth"
  | "unreachable"
  | "permission"
  | "config"
  | "timeout"
  | "not-registered"
  | "listen"
  | "other";

/** UserError codes the adapters use, by kind (keys checked against the catalogue, error-codes.ts). */
const KIND_OF_CODE: Partial<Record<ErrorCode, FailureKind>> = {
  bridge_bad_token: "auth",
  bridge_auth: "auth",
  bridge_unreachable: "unreachable",
  bridge_missing_intent: "permission",
  bridge_bad_config: "config",
  bridge_config: "config",
  bridge_not_registered: "not-registered",
  bridge_listen: "listen",
};
/** Node's socket and DNS error codes (errno names) that mean "cannot reach". */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
]);

/** The kind of a failed connection attempt, from the error's code or its cause's errno name. */
function failureKind(err: unknown): FailureKind {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    const code = typeof e.code === "string" ? e.code : "";
    const kind = isErrorCode(code) ? KIND_OF_CODE[code] : undefined;
    if (kind) return kind;
    if (UNREACHABLE.has(code)) return "unreachable";
    e = e.cause as typeof e;
  }
  return "other";
}

let validate: ReturnType<Ajv["compile"]> | undefined;

/**
 * The dashboard's / wizard's "test connection": validates one bridge entry against the schema, builds its
 * adapter, connects (at most `timeoutMs`, default 15 000) and disconnects again. Never throws for
 * problems of the entry or the connection: they come back as `{ok: false, reason, fix}`. Secrets are
 * not echoed (adapters' error messages name hosts and accounts, never tokens).
 */
export async function testBridgeConnection(
  id: string,
  config: BridgeConfig,
  log: BridgeLogger,
  timeoutMs = 15_000,
): Promise<ConnectionTestResult> {
  const t0 = Date.now();
  validate ??= new Ajv({ allErrors: false, useDefaults: true, strict: false }).compile(bridgesSchema());
  const entry = structuredClone(config);
  if (!validate({ [id]: entry })) {
    const e = validate.errors?.[0];
    const where = e?.instancePath.split("/").slice(2).join(".") || id;
    const what =
      e?.keyword === "additionalProperties"
        ? `unknown key "${String(e.params.additionalProperty)}"`
        : e?.message;
    return {
      ok: false,
      reason: `${where}: ${what}`,
      fix: "correct the settings and test again",
      kind: "config",
      ms: Date.now() - t0,
    };
  }
  const definition = getBridgeDefinition(entry.type);
  if (!definition)
    return { ok: false, reason: `unknown bridge type "${entry.type}"`, kind: "config", ms: Date.now() - t0 };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("timed out")), timeoutMs);
  let timedOut = false;
  let adapter: Awaited<ReturnType<typeof definition.create>> | undefined;
  try {
    adapter = await definition.create(entry, { id, log });
    await Promise.race([
      adapter.start(controller.signal),
      new Promise((_, reject) =>
        controller.signal.addEventListener(
          "abort",
          () => {
            timedOut = true;
            reject(new Error(`no connection within ${timeoutMs} ms`));
          },
          {
            once: true,
          },
        ),
      ),
    ]);
    return { ok: true, botId: adapter.selfId()?.id, ms: Date.now() - t0 };
  } catch (err) {
    return {
      ok: false,
      reason: err instanceof Error ? err.message : String(err),
      fix: err instanceof UserError ? err.fix : undefined,
      kind: timedOut ? "timeout" : failureKind(err),
      ms: Date.now() - t0,
    };
  } finally {
    clearTimeout(timer);
    controller.abort(new Error("test over"));
    await adapter?.stop().catch(() => {});
  }
}
