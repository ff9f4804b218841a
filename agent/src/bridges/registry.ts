/**
 * The list of bridge types. Each type contributes ONE entry (a `BridgeDefinition`, usually in
 * `agent/src/bridges/<type>/definition.ts`): its config sub-schema, which keys are secrets, and a factory
 * that lazily imports the platform library (so `clawbox` CLI commands and bridges that are not configured
 * never load discord.js, matrix-js-sdk, …). The config schema, the manager and the dashboard read this list.
 */
import { CORE_BRIDGES } from "./core-bridges.js";
import { dingtalkBridge } from "./dingtalk/definition.js";
import { discordBridge } from "./discord/definition.js";
import { feishuBridge } from "./feishu/definition.js";
import { matrixBridge } from "./matrix/definition.js";
import { signalBridge } from "./signal/definition.js";
import { slackBridge } from "./slack/definition.js";
import { telegramBridge } from "./telegram/definition.js";
import type { AdapterContext, BridgeCommonConfig, ChannelAdapter } from "./types.js";
import { wecomBridge } from "./wecom/definition.js";
import { whatsappBridge } from "./whatsapp/definition.js";

/** JSON Schema fragment (draft-07, ajv) for one property. */
export type JsonSchema = Record<string, unknown>;

export interface BridgeDefinition<C extends BridgeCommonConfig = BridgeCommonConfig> {
  /** Value of `type:` in the config, e.g. "telegram". Lowercase, unique. */
  type: string;
  /** One line for docs and the dashboard, e.g. "Telegram bot (grammY, long polling)". */
  description: string;
  /**
   * The type's own keys as JSON Schema properties (besides the common `type`, `dmPolicy`, `allowFrom`,
   * `groups`, `enabled`, which the core adds). Unknown keys are rejected with the bridge id and key.
   */
  properties: Record<string, JsonSchema>;
  /** Required own keys (e.g. ["token"]). */
  required?: string[];
  /** Keys whose values are secrets: redacted in logs and API responses, e.g. ["token", "password"]. */
  secretKeys: string[];
  /** What a stable sender id looks like on this platform, shown in docs/dashboard (e.g. "numeric user id"). */
  senderIdHint?: string;
  /**
   * Build the adapter for one configured bridge. `config` has passed the schema (defaults filled in).
   * Import the platform library inside (dynamic `import()`), not at the top of the definition file.
   * Throws `UserError` for configuration the schema cannot catch.
   */
  create(config: C, ctx: AdapterContext): Promise<ChannelAdapter>;
}

// biome-ignore lint/suspicious/noExplicitAny: each definition narrows its own config type
export type AnyDefinition = BridgeDefinition<any>;

// ── one line per platform bridge type (dingtalk, discord, feishu, matrix, signal, slack, telegram, wecom,
// whatsapp; keep sorted).
// The core's own types (webhook, websocket, irc, xmpp, email, …) are listed in core-bridges.ts. ──────────
const BUILT_IN: AnyDefinition[] = [
  dingtalkBridge,
  discordBridge,
  feishuBridge,
  matrixBridge,
  signalBridge,
  slackBridge,
  telegramBridge,
  wecomBridge,
  whatsappBridge,
  ...CORE_BRIDGES,
];

const definitions = new Map<string, AnyDefinition>();
for (const d of BUILT_IN) definitions.set(d.type, d);

/**
 * Add (or replace, for tests) a bridge type at run time.
 * Throws Error when `type` is empty or not lowercase [a-z0-9-].
 */
export function registerBridgeType(definition: AnyDefinition): void {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.type)) {
    throw new Error(`bridge type "${definition.type}" must be lowercase letters, digits and dashes`);
  }
  definitions.set(definition.type, definition);
}

/** The definition for `type`, or undefined when no such bridge type exists. */
export function getBridgeDefinition(type: string): AnyDefinition | undefined {
  return definitions.get(type);
}

/** All registered bridge types, sorted by type name. */
export function bridgeDefinitions(): AnyDefinition[] {
  return [...definitions.values()].sort((a, b) => a.type.localeCompare(b.type));
}
