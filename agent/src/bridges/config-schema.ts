/**
 * The `bridges:` part of the config schema: a map keyed by bridge id; each entry's `type` selects that
 * type's own sub-schema (from the registry) plus the keys every bridge shares. Every sub-schema rejects
 * unknown keys, so a typo fails as "bridges.<id>.<key> is not a known key" with the file's line.
 */
import { bridgeDefinitions } from "./registry.js";
import type { BridgeCommonConfig, JsonSchema } from "./types.js";

/** A bridge entry as loaded from the config (type-specific keys included). */
export type BridgeConfig = BridgeCommonConfig & Record<string, unknown>;

/** Bridge ids: lowercase, digits, dash, underscore (used in conversation ids, URLs and the CLI). */
export const BRIDGE_ID_PATTERN = "^[a-z0-9][a-z0-9_-]{0,63}$";

/** Keys every bridge type accepts. */
export const COMMON_BRIDGE_PROPERTIES: Record<string, JsonSchema> = {
  type: {
    type: "string",
    description:
      "Bridge type (telegram, discord, slack, matrix, feishu, dingtalk, wecom, xmpp, irc, email, webhook, websocket, …).",
  },
  enabled: { type: "boolean", default: true, description: "false = keep the settings but do not connect." },
  dmPolicy: {
    type: "string",
    enum: ["pairing", "allowlist", "open", "disabled"],
    default: "pairing",
    description:
      'Who may talk to the assistant in direct messages: "pairing" = unknown senders get a code the owner ' +
      'approves; "allowlist" = only allowFrom and approved senders; "open" = anyone; "disabled" = nobody.',
  },
  allowFrom: {
    type: "array",
    items: { type: "string", minLength: 1 },
    uniqueItems: true,
    description:
      "Stable sender ids always allowed: Telegram numeric user id, Discord snowflake, Slack U…, Matrix @user:server, " +
      "Feishu open_id (ou_…) or union_id (on_…), DingTalk staffId, WeCom userid, " +
      "XMPP bare JID, IRC services account, e-mail address (DKIM-verified). Never nicknames or display names.",
  },
  groups: {
    type: "boolean",
    default: true,
    description: "Answer in groups/channels when mentioned (allowed senders only unless dmPolicy is open).",
  },
  rateLimit: {
    type: "object",
    additionalProperties: false,
    description: "Per-sender inbound limit (token bucket). Default burst 10, 20 per minute.",
    properties: {
      burst: { type: "integer", minimum: 1, maximum: 100000, default: 10 },
      perMinute: { type: "number", exclusiveMinimum: 0, maximum: 6000000, default: 20 },
    },
  },
  systemPrompt: { type: "string", description: "System prompt for this bridge's conversations." },
};

/** JSON Schema of the `bridges:` map for the registered types. */
export function bridgesSchema(): JsonSchema {
  const defs = bridgeDefinitions();
  return {
    type: "object",
    description: "Messaging bridges keyed by bridge id, e.g. `irc-lan: {type: irc, host: …}`.",
    propertyNames: { pattern: BRIDGE_ID_PATTERN },
    additionalProperties: {
      type: "object",
      required: ["type"],
      properties: { type: { type: "string", enum: defs.map((d) => d.type) } },
      allOf: defs.map((d) => ({
        if: { properties: { type: { const: d.type } } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then
        then: {
          properties: { ...COMMON_BRIDGE_PROPERTIES, ...d.properties },
          additionalProperties: false,
          required: ["type", ...(d.required ?? [])],
        },
      })),
    },
  };
}

/** Config keys holding secrets for `type` (the registry's secretKeys), for redaction. */
export function secretKeysOf(type: string): string[] {
  return bridgeDefinitions().find((d) => d.type === type)?.secretKeys ?? [];
}

/** A copy of `config` with every secret value replaced by "********" (for logs and API responses). */
export function redactBridgeConfig(config: BridgeConfig): BridgeConfig {
  const copy: BridgeConfig = { ...config };
  for (const key of secretKeysOf(config.type)) if (copy[key] !== undefined) copy[key] = "********";
  return copy;
}
