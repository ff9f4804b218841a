import type { BridgeCommonConfig, BridgeDefinition } from "../types.js";
import type { EmailConfig } from "./adapter.js";

const server = (withAuthRequired: boolean) => ({
  type: "object",
  additionalProperties: false,
  required: withAuthRequired ? ["host", "port", "user", "password"] : ["host", "port"],
  properties: {
    host: { type: "string", minLength: 1 },
    port: { type: "integer", minimum: 1, maximum: 65535 },
    secure: { type: "boolean", default: true, description: "TLS from the start (993 IMAP, 465 SMTP)." },
    user: { type: "string", minLength: 1 },
    password: { type: "string", minLength: 1 },
    ...(withAuthRequired ? { mailbox: { type: "string", minLength: 1, default: "INBOX" } } : {}),
  },
});

/** Registry entry of the e-mail bridge (imapflow IDLE in, nodemailer SMTP out). */
export const emailBridge: BridgeDefinition<BridgeCommonConfig & EmailConfig> = {
  type: "email",
  description: "E-mail: IMAP IDLE in (imapflow), SMTP out (nodemailer), DKIM-verified senders only",
  properties: {
    address: { type: "string", pattern: "^[^@\\s]+@[^@\\s]+$", description: "The bot's e-mail address." },
    imap: { ...server(true), description: "Mailbox the bot reads." },
    smtp: { ...server(false), description: "Server the bot sends replies through." },
    authservId: {
      type: "string",
      minLength: 1,
      description:
        "authserv-id of your mail server's Authentication-Results header (only its DKIM verdict is trusted).",
    },
    maxTextLength: { type: "integer", minimum: 200, maximum: 1000000, default: 20000 },
  },
  required: ["address", "imap", "smtp", "authservId"],
  secretKeys: ["imap", "smtp"],
  senderIdHint: "e-mail address with a passing DKIM signature",
  async create(config, ctx) {
    const { EmailAdapter } = await import("./adapter.js");
    return new EmailAdapter(config, ctx);
  },
};
