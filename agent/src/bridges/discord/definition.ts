import type { BridgeDefinition } from "../types.js";
import type { DiscordBridgeConfig } from "./adapter.js";

/**
 * `type: discord` — a Discord bot over discord.js (gateway + REST). discord.js is imported only when such a
 * bridge is configured. The bot needs the privileged MESSAGE CONTENT intent enabled in the Developer Portal.
 */
export const discordBridge: BridgeDefinition<DiscordBridgeConfig> = {
  type: "discord",
  description: "Discord bot (discord.js, gateway + REST; needs the Message Content intent)",
  properties: {
    token: {
      type: "string",
      minLength: 20,
      pattern: "^[A-Za-z0-9._-]+$",
      description: "Bot token (Developer Portal → Bot)",
    },
    apiBase: {
      type: "string",
      pattern: "^https?://[^\\s]+[^/]$",
      description: "REST base, default https://discord.com/api",
    },
  },
  required: ["token"],
  secretKeys: ["token"],
  senderIdHint: "Discord user id (snowflake), e.g. 80351110224678912",
  async create(config, ctx) {
    const { DiscordAdapter } = await import("./adapter.js");
    return new DiscordAdapter(config, ctx);
  },
};
