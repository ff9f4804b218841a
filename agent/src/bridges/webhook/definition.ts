import type { BridgeCommonConfig, BridgeDefinition } from "../types.js";
import type { WebhookConfig } from "./adapter.js";

/** Registry entry of the generic webhook bridge (in: signed POSTs; out: signed POSTs to a URL). */
export const webhookBridge: BridgeDefinition<BridgeCommonConfig & WebhookConfig> = {
  type: "webhook",
  description: "Generic webhook: signed JSON POSTs in and out (HMAC-SHA256 over timestamp + body, ±5 min)",
  properties: {
    secret: {
      type: "string",
      minLength: 16,
      description: "Shared HMAC-SHA256 key (≥ 16 characters) for both directions.",
    },
    listenHost: {
      type: "string",
      minLength: 1,
      default: "127.0.0.1",
      description: "Interface for inbound POSTs.",
    },
    listenPort: { type: "integer", minimum: 0, maximum: 65535, description: "Port for inbound POSTs." },
    outboundUrl: { type: "string", pattern: "^https?://", description: "Replies are POSTed to this URL." },
    maxTextLength: {
      type: "integer",
      minimum: 16,
      maximum: 1000000,
      default: 4000,
      description: "Largest reply piece, chars.",
    },
  },
  required: ["secret", "listenPort", "outboundUrl"],
  secretKeys: ["secret"],
  senderIdHint: "senderId field of the POSTed JSON (as trusted as the secret)",
  async create(config, ctx) {
    const { WebhookAdapter } = await import("./adapter.js");
    return new WebhookAdapter(config, ctx);
  },
};
