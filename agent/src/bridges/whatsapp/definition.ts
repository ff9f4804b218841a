import type { BridgeDefinition } from "../types.js";
import type { WhatsAppBridgeConfig } from "./adapter.js";

/**
 * `type: whatsapp` — a WhatsApp Business number through Meta's Cloud API (Graph API REST out, signed
 * webhooks in). Needs a Meta app with the WhatsApp product and a public HTTPS webhook URL that reaches
 * listenHost:listenPort (reverse proxy or tunnel; the image's firewall opens only 22/80/443/5353).
 */
export const whatsappBridge: BridgeDefinition<WhatsAppBridgeConfig> = {
  type: "whatsapp",
  description:
    "WhatsApp Business number (official Cloud API: webhooks in, Graph API out; needs a public HTTPS URL)",
  properties: {
    phoneNumberId: {
      type: "string",
      pattern: "^[0-9]{5,20}$",
      description:
        "Phone number ID from WhatsApp Manager → API setup (an id of digits, not the phone number).",
    },
    accessToken: {
      type: "string",
      minLength: 20,
      description: "Access token with whatsapp_business_messaging (a permanent System user token is best).",
    },
    appSecret: {
      type: "string",
      minLength: 16,
      description:
        "App secret (App settings → Basic); webhook POSTs are checked against its HMAC-SHA256 signature.",
    },
    verifyToken: {
      type: "string",
      minLength: 8,
      description:
        "Any secret text; type the same into the app's webhook settings (Meta sends it when verifying the URL).",
    },
    listenHost: {
      type: "string",
      minLength: 1,
      default: "127.0.0.1",
      description: "Interface the webhook listens on; your HTTPS reverse proxy or tunnel forwards to it.",
    },
    listenPort: {
      type: "integer",
      minimum: 0,
      maximum: 65535,
      default: 8089,
      description:
        "Port the webhook listens on (the callback URL in Meta's settings must reach it over HTTPS).",
    },
    graphApiUrl: {
      type: "string",
      pattern: "^https?://[^\\s]+$",
      default: "https://graph.facebook.com",
      description: "Graph API server (change only for testing).",
    },
    apiVersion: {
      type: "string",
      pattern: "^v[0-9]+\\.[0-9]+$",
      default: "v23.0",
      description:
        "Graph API version; the bridge follows v23.0 (messages, read receipts with typing indicator).",
    },
  },
  required: ["phoneNumberId", "accessToken", "appSecret", "verifyToken"],
  secretKeys: ["accessToken", "appSecret", "verifyToken"],
  senderIdHint: "WhatsApp id (wa_id): the phone number in digits without +, e.g. 4915112345678",
  async create(config, ctx) {
    const { WhatsAppAdapter } = await import("./adapter.js");
    return new WhatsAppAdapter(config, ctx);
  },
};
