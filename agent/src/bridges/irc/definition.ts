import type { BridgeCommonConfig, BridgeDefinition } from "../types.js";
import type { IrcConfig } from "./adapter.js";

/** Registry entry of the IRC bridge (irc-framework). */
export const ircBridge: BridgeDefinition<BridgeCommonConfig & IrcConfig> = {
  type: "irc",
  description: "IRC (irc-framework): DMs and addressed channel lines, one PRIVMSG per line",
  properties: {
    host: { type: "string", minLength: 1, description: "IRC server host." },
    port: {
      type: "integer",
      minimum: 1,
      maximum: 65535,
      default: 6697,
      description: "Port (6697 TLS, 6667 plain).",
    },
    tls: { type: "boolean", default: true, description: "Connect with TLS." },
    nick: {
      type: "string",
      pattern: "^[A-Za-z\\[\\]\\\\`_^{|}][A-Za-z0-9\\[\\]\\\\`_^{|}-]{0,29}$",
      description: "Bot nickname.",
    },
    username: { type: "string", minLength: 1, description: "USER name (default: nick)." },
    realname: { type: "string", description: "Real name (GECOS)." },
    password: { type: "string", description: "Server password (PASS)." },
    sasl: {
      type: "object",
      additionalProperties: false,
      required: ["account", "password"],
      description: "SASL PLAIN login of the bot (networks with services).",
      properties: { account: { type: "string", minLength: 1 }, password: { type: "string", minLength: 1 } },
    },
    channels: {
      type: "array",
      items: { type: "string", pattern: "^[#&!+]" },
      uniqueItems: true,
      description: "Channels to join.",
    },
    identity: {
      type: "string",
      enum: ["account", "verified-user"],
      default: "account",
      description:
        'Stable sender id: "account" = services/SASL account (IRCv3 account-tag); "verified-user" = user@host ' +
        "when the server verified the user name (ident/PAM; for servers without services like ngIRCd).",
    },
    maxLineBytes: {
      type: "integer",
      minimum: 64,
      maximum: 450,
      default: 350,
      description: "Text bytes per line.",
    },
  },
  required: ["host", "nick"],
  secretKeys: ["password", "sasl"],
  senderIdHint: "services account (or verified user@host)",
  async create(config, ctx) {
    const { IrcAdapter } = await import("./adapter.js");
    return new IrcAdapter(config, ctx);
  },
};
