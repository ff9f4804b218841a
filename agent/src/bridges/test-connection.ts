import { Ajv } from "ajv";
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
  /** The bot's identity as the platform reported it, when ok. */
  botId?: string;
  /** Time to connect, ms. */
  ms: number;
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
      ms: Date.now() - t0,
    };
  }
  const definition = getBridgeDefinition(entry.type);
  if (!definition) return { ok: false, reason: `unknown bridge type "${entry.type}"`, ms: Date.now() - t0 };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("timed out")), timeoutMs);
  let adapter: Awaited<ReturnType<typeof definition.create>> | undefined;
  try {
    adapter = await definition.create(entry, { id, log });
    await Promise.race([
      adapter.start(controller.signal),
      new Promise((_, reject) =>
        controller.signal.addEventListener(
          "abort",
          () => reject(new Error(`no connection within ${timeoutMs} ms`)),
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
      ms: Date.now() - t0,
    };
  } finally {
    clearTimeout(timer);
    controller.abort(new Error("test over"));
    await adapter?.stop().catch(() => {});
  }
}
