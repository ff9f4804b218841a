/**
 * Bridge types implemented by the core helper (generic webhook, WebSocket channel, IRC, XMPP, e-mail).
 * Platform bridges with their own folders (telegram, discord, slack, matrix) are listed in registry.ts.
 */
import { emailBridge } from "./email/definition.js";
import { ircBridge } from "./irc/definition.js";
import type { BridgeDefinition } from "./types.js";
import { webhookBridge } from "./webhook/definition.js";
import { websocketBridge } from "./websocket/definition.js";
import { xmppBridge } from "./xmpp/definition.js";

// biome-ignore lint/suspicious/noExplicitAny: each definition narrows its own config type
export const CORE_BRIDGES: BridgeDefinition<any>[] = [
  emailBridge,
  ircBridge,
  webhookBridge,
  websocketBridge,
  xmppBridge,
];
