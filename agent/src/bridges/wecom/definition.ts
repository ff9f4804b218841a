import type { BridgeDefinition } from "../types.js";
import type { WeComBridgeConfig } from "./adapter.js";

/**
 * `type: wecom` — a WeCom (企业微信) self-built application: WeCom calls the bridge's callback URL
 * (encrypted, signed) through the owner's HTTPS reverse proxy, and replies go out through the message/send
 * API. Needs the CorpID, the app's AgentId and Secret, and the "Receive messages" settings (URL, Token,
 * EncodingAESKey); WeCom only sends to trusted IPs, so the device's public IP must be on the app's list.
 */
export const wecomBridge: BridgeDefinition<WeComBridgeConfig> = {
  type: "wecom",
  description:
    "WeCom (企业微信) self-built app (encrypted callback in, message/send API out; needs a public HTTPS URL)",
  properties: {
    corpId: {
      type: "string",
      pattern: "^[A-Za-z0-9]{6,32}$",
      description: "CorpID from My Company → Company Information (starts with ww or wx).",
    },
    agentId: {
      type: "integer",
      minimum: 1,
      description: "AgentId of the self-built app (App Management → your app).",
    },
    corpSecret: {
      type: "string",
      minLength: 8,
      description: "The app's Secret (App Management → your app).",
    },
    token: {
      type: "string",
      pattern: "^[A-Za-z0-9]{1,32}$",
      description: "Token from the app's Receive messages → API settings (letters and digits, up to 32).",
    },
    encodingAesKey: {
      type: "string",
      pattern: "^[A-Za-z0-9]{43}$",
      description: "EncodingAESKey from the same settings (43 letters and digits).",
    },
    listenHost: {
      type: "string",
      minLength: 1,
      default: "127.0.0.1",
      description: "Interface the callback listens on; your HTTPS reverse proxy forwards to it.",
    },
    listenPort: {
      type: "integer",
      minimum: 0,
      maximum: 65535,
      default: 8090,
      description: "Port the callback listens on (the URL in WeCom's settings must reach it over HTTPS).",
    },
    apiUrl: {
      type: "string",
      pattern: "^https?://[^\\s]+[^/]$",
      default: "https://qyapi.weixin.qq.com",
      description: "WeCom API server (change only for testing).",
    },
  },
  required: ["corpId", "agentId", "corpSecret", "token", "encodingAesKey"],
  secretKeys: ["corpSecret", "token", "encodingAesKey"],
  senderIdHint: "WeCom userid (the account in the address book), e.g. ZhangSan",
  async create(config, ctx) {
    const { WeComAdapter } = await import("./adapter.js");
    return new WeComAdapter(config, ctx);
  },
};
