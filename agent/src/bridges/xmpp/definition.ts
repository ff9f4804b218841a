import type { BridgeCommonConfig, BridgeDefinition } from "../types.js";
import type { XmppConfig } from "./adapter.js";

/** Registry entry of the XMPP bridge (@xmpp/client). */
export const xmppBridge: BridgeDefinition<BridgeCommonConfig & XmppConfig> = {
  type: "xmpp",
  description: "XMPP/Jabber account (@xmpp/client): one-to-one chats, sender = bare JID",
  properties: {
    service: {
      type: "string",
      pattern: "^xmpps?://",
      description: 'Server URL, e.g. "xmpp://chat.example.org:5222".',
    },
    domain: { type: "string", minLength: 1, description: "Domain of the bot's JID." },
    username: { type: "string", minLength: 1, description: "Local part of the bot's JID." },
    password: { type: "string", minLength: 1, description: "Password of the bot's account." },
    resource: { type: "string", minLength: 1, default: "clawbox", description: "XMPP resource." },
    maxTextLength: {
      type: "integer",
      minimum: 64,
      maximum: 100000,
      default: 4000,
      description: "Largest message, chars.",
    },
  },
  required: ["service", "domain", "username", "password"],
  secretKeys: ["password"],
  senderIdHint: "bare JID, e.g. alice@example.org",
  async create(config, ctx) {
    const { XmppAdapter } = await import("./adapter.js");
    return new XmppAdapter(config, ctx);
  },
};
