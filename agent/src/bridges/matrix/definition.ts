import type { BridgeDefinition } from "../types.js";
import type { MatrixBridgeConfig } from "./adapter.js";

/**
 * `type: matrix` — a Matrix bot account over matrix-js-sdk 37.5 (the last release supporting Node 20).
 * Unencrypted rooms only. The SDK is imported only when such a bridge is configured.
 */
export const matrixBridge: BridgeDefinition<MatrixBridgeConfig> = {
  type: "matrix",
  description: "Matrix bot account (matrix-js-sdk, /sync; unencrypted rooms)",
  properties: {
    homeserverUrl: {
      type: "string",
      pattern: "^https?://[^\\s]+$",
      description: "Client API base, e.g. https://matrix.example.org",
    },
    userId: {
      type: "string",
      pattern: "^@[^:\\s]+:[^\\s]+$",
      description: "Bot user id, e.g. @clawbox:example.org",
    },
    accessToken: { type: "string", minLength: 8, description: "Access token of the bot account" },
    password: {
      type: "string",
      minLength: 1,
      description: "Password (used only when no access token is set)",
    },
  },
  required: ["homeserverUrl", "userId"],
  secretKeys: ["accessToken", "password"],
  senderIdHint: "Matrix user id, e.g. @alice:example.org",
  async create(config, ctx) {
    const { MatrixAdapter } = await import("./adapter.js");
    return new MatrixAdapter(config, ctx);
  },
};
