import type { BridgeDefinition } from "../types.js";
import type { FeishuBridgeConfig } from "./adapter.js";

/**
 * `type: feishu` — a Feishu (飞书) or Lark self-built app's bot over the official @larksuiteoapi/node-sdk:
 * events by the SDK's WebSocket long connection (no public URL), replies by the IM API. Needs the app id
 * and secret, the `im.message.receive_v1` event subscribed in "long connection" mode, and the bot
 * permissions im:message and im:message:send_as_bot. The SDK is imported only when used.
 */
export const feishuBridge: BridgeDefinition<FeishuBridgeConfig> = {
  type: "feishu",
  description: "Feishu / Lark app bot (@larksuiteoapi/node-sdk, WebSocket long connection)",
  properties: {
    appId: {
      type: "string",
      // The SDK's WSClient refuses any other shape (`/^cli_[0-9a-fA-F]{16}$/` in WSClient.start).
      pattern: "^cli_[0-9a-fA-F]{16}$",
      description: "App ID from the developer console → Credentials & Basic Info (cli_ and 16 hex digits).",
    },
    appSecret: { type: "string", minLength: 8, description: "App Secret from the same page." },
    domain: {
      type: "string",
      enum: ["feishu", "lark"],
      default: "feishu",
      description: "feishu = open.feishu.cn (China), lark = open.larksuite.com (international).",
    },
    baseUrl: {
      type: "string",
      pattern: "^https?://[^\\s]+[^/]$",
      description: "Open platform base URL instead of the domain's (change only for testing).",
    },
  },
  required: ["appId", "appSecret"],
  secretKeys: ["appSecret"],
  senderIdHint: "open_id of the user in this app (ou_…); a union_id (on_…) is accepted too",
  async create(config, ctx) {
    const { FeishuAdapter } = await import("./adapter.js");
    return new FeishuAdapter(config, ctx);
  },
};
