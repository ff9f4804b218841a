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
import type { AnyDefinition } from "./types.js";
import { wecomBridge } from "./wecom/definition.js";
import { whatsappBridge } from "./whatsapp/definition.js";

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
