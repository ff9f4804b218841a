import type { BridgeDefinition } from "../types.js";
import type { TelegramBridgeConfig } from "./adapter.js";

/**
 * `type: telegram` — a Telegram bot over grammY long polling. The adapter (and grammY) is imported only when
 * such a bridge is configured. Token shape from the Bot API docs: "<bot id>:<35-char secret>".
 */
export const telegramBridge: BridgeDefinition<TelegramBridgeConfig> = {
  type: "telegram",
  description: "Telegram bot (grammY, long polling)",
  properties: {
    token: {
      type: "string",
      pattern: "^[0-9]{3,}:[A-Za-z0-9_-]{10,}$",
      description: "Bot token from @BotFather",
    },
    apiRoot: {
      type: "string",
      pattern: "^https?://[^\\s]+[^/]$",
      description: "Bot API server (no trailing /)",
    },
  },
  required: ["token"],
  secretKeys: ["token"],
  senderIdHint: "numeric Telegram user id, e.g. 123456789",
  async create(config, ctx) {
    const { TelegramAdapter } = await import("./adapter.js");
    return new TelegramAdapter(config, ctx);
  },
};
