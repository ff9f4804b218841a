import type { BridgeDefinition } from "../types.js";
import type { DingTalkBridgeConfig } from "./adapter.js";

/**
 * `type: dingtalk` — a DingTalk (钉钉) internal app's robot over the official `dingtalk-stream` SDK in Stream
 * mode (an outbound WebSocket, no public URL): robot messages arrive on the TOPIC_ROBOT callback; replies go
 * to the message's sessionWebhook, or through the robot OpenAPI once that has expired. Needs the app's
 * Client ID (AppKey) and Client Secret, the robot enabled with "Stream mode" as its message receiving mode,
 * and the permission qyapi_robot_sendmsg. The SDK is imported only when used.
 */
export const dingtalkBridge: BridgeDefinition<DingTalkBridgeConfig> = {
  type: "dingtalk",
  description: "DingTalk robot (dingtalk-stream SDK, Stream mode)",
  properties: {
    clientId: {
      type: "string",
      pattern: "^[A-Za-z0-9_-]{6,64}$",
      description: "Client ID (AppKey) from the developer console → Credentials & Basic Info.",
    },
    clientSecret: {
      type: "string",
      minLength: 8,
      description: "Client Secret (AppSecret) from the same page.",
    },
    robotCode: {
      type: "string",
      minLength: 1,
      description:
        "Robot code for OpenAPI sends; default the Client ID (the code of an internal app's robot).",
    },
    apiUrl: {
      type: "string",
      pattern: "^https?://[^\\s]+[^/]$",
      default: "https://api.dingtalk.com",
      description: "DingTalk OpenAPI server (change only for testing).",
    },
  },
  required: ["clientId", "clientSecret"],
  secretKeys: ["clientSecret"],
  senderIdHint: "staffId (userid in your organisation), e.g. manager4220",
  async create(config, ctx) {
    const { DingTalkAdapter } = await import("./adapter.js");
    return new DingTalkAdapter(config, ctx);
  },
};
