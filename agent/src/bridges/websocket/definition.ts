import type { BridgeCommonConfig, BridgeDefinition } from "../types.js";
import type { WebSocketChannelConfig } from "./adapter.js";

/** Registry entry of the WebSocket channel (JSON frames, bearer token, acknowledged replies). */
export const websocketBridge: BridgeDefinition<BridgeCommonConfig & WebSocketChannelConfig> = {
  type: "websocket",
  description:
    "WebSocket channel for custom chat front-ends (JSON frames, bearer token, acknowledged replies)",
  properties: {
    token: {
      type: "string",
      minLength: 16,
      description: "Bearer token clients must present (≥ 16 characters).",
    },
    listenHost: {
      type: "string",
      minLength: 1,
      default: "127.0.0.1",
      description: "Interface to listen on.",
    },
    listenPort: { type: "integer", minimum: 0, maximum: 65535, description: "TCP port to listen on." },
    maxTextLength: {
      type: "integer",
      minimum: 16,
      maximum: 1000000,
      default: 8000,
      description: "Largest reply piece, chars.",
    },
    ackTimeoutMs: {
      type: "integer",
      minimum: 100,
      maximum: 600000,
      default: 10000,
      description: "Wait for a client's ack, ms.",
    },
  },
  required: ["token", "listenPort"],
  secretKeys: ["token"],
  senderIdHint: "senderId field of the client's frames (as trusted as the token)",
  async create(config, ctx) {
    const { WebSocketChannelAdapter } = await import("./adapter.js");
    return new WebSocketChannelAdapter(config, ctx);
  },
};
