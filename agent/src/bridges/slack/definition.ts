import type { BridgeDefinition } from "../types.js";
import type { SlackBridgeConfig } from "./adapter.js";

/**
 * `type: slack` — a Slack app over @slack/bolt in Socket Mode (outbound websocket, no public URL). Needs a
 * bot token (xoxb-) and an app-level token (xapp-, scope connections:write). Bolt is imported only when used.
 */
export const slackBridge: BridgeDefinition<SlackBridgeConfig> = {
  type: "slack",
  description: "Slack app (@slack/bolt, Socket Mode)",
  properties: {
    botToken: {
      type: "string",
      pattern: "^xoxb-[A-Za-z0-9-]+$",
      description: "Bot User OAuth Token (xoxb-…)",
    },
    appToken: { type: "string", pattern: "^xapp-[A-Za-z0-9-]+$", description: "App-level token (xapp-…)" },
    apiUrl: {
      type: "string",
      pattern: "^https?://[^\\s]+/$",
      description: "Web API base, default https://slack.com/api/",
    },
  },
  required: ["botToken", "appToken"],
  secretKeys: ["botToken", "appToken"],
  senderIdHint: "Slack member id, e.g. U0123ABCDEF",
  async create(config, ctx) {
    const { SlackAdapter } = await import("./adapter.js");
    return new SlackAdapter(config, ctx);
  },
};
