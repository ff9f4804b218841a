import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { AdapterHooks } from "../adapter-hooks.js";
import { BridgeListener } from "../bridge-listener.js";
import { InboundOrder } from "../inbound-order.js";
import type {
  AdapterContext,
  BotIdentity,
  BridgeCommonConfig,
  ChannelAdapter,
  ChannelCapabilities,
  OutboundMessage,
} from "../types.js";
import {
  GRAPH_INVALID_PARAMETER,
  GRAPH_TOKEN_INVALID,
  GraphApiError,
  GraphClient,
  mapWhatsAppSendError,
  WA_REENGAGEMENT,
} from "./graph-client.js";
import { META_SIGNATURE_HEADER, parseWebhook, verifyMetaSignature } from "./webhook-payload.js";

/** `bridges.<id>` for `type: whatsapp`. */
export interface WhatsAppBridgeConfig extends BridgeCommonConfig {
  type: "whatsapp";
  /** Phone number id of the business number (WhatsApp Manager → API setup), digits. */
  phoneNumberId: string;
  /** System-user or temporary access token with whatsapp_business_messaging. A secret. */
  accessToken: string;
  /** App secret (App settings → Basic); signs webhook POSTs. A secret. */
  appSecret: string;
  /** The token typed into the app's webhook settings; Meta echoes it when verifying. A secret. */
  verifyToken: string;
  /** Where Meta's webhooks arrive (behind an HTTPS reverse proxy or tunnel). Default 127.0.0.1. */
  listenHost?: string;
  /** Default 8089; 0 = any free port (tests). */
  listenPort?: number;
  /** Default https://graph.facebook.com. */
  graphApiUrl?: string;
  /** Graph API version, default v23.0 (the version whose typing indicator this bridge uses). */
  apiVersion?: string;
}

/** Largest webhook body accepted, bytes (a batch of text notifications; media arrive as ids, not bytes). */
const MAX_BODY_BYTES = 1024 * 1024;
/** wamids remembered in memory against webhook redelivery (the core also dedups, persisted). */
const SEEN_WAMIDS = 2000;
/** Meta shows the typing indicator up to 25 s or until the reply (Cloud API "Typing indicators"). */
const TYPING_REFRESH_MS = 20_000;

/**
 * WhatsApp Business through Meta's official Cloud API (Graph API v23.0). Inbound: Meta's webhook on this
 * adapter's own port — `GET` verification (`hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`) and
 * `POST` notifications signed `X-Hub-Signature-256` (unsigned/bad → 401). Outbound: `POST
 * /{phoneNumberId}/messages` (text, ≤ 4096 chars); "typing…" = mark the user's last message read with
 * `typing_indicator`. No edits on WhatsApp: a reply is sent once complete. Sender ids are wa_ids (digits).
 */
export class WhatsAppAdapter extends AdapterHooks<WhatsAppBridgeConfig> implements ChannelAdapter {
  readonly type = "whatsapp";
  /** Source: Cloud API "Send messages → text": `text.body` maximum 4096 characters. */
  readonly capabilities: ChannelCapabilities = {
    maxTextLength: 4096,
    lengthUnit: "chars",
    canEdit: false,
    canTyping: true,
    threads: false,
    format: "plain",
  };
  private readonly graph: GraphClient;
  private readonly graphBase: string;
  private listener: BridgeListener | undefined;
  private me: BotIdentity | undefined;
  private readonly seen = new Set<string>();
  private readonly lastInbound = new Map<string, string>();
  /** Per chat: the message the typing indicator was last shown on, and when (ms). */
  private readonly typingShown = new Map<string, { wamid: string; at: number }>();
  private readonly order: InboundOrder;

  constructor(config: WhatsAppBridgeConfig, ctx: AdapterContext) {
    super(config, ctx);
    this.order = new InboundOrder(ctx.log, "whatsapp");
    const root = (config.graphApiUrl ?? "https://graph.facebook.com").replace(/\/+$/, "");
    this.graphBase = `${root}/${config.apiVersion ?? "v23.0"}`;
    this.graph = new GraphClient(this.graphBase, config.accessToken);
  }

  selfId(): BotIdentity | undefined {
    return this.me;
  }

  /** Bound webhook address after start (tests use port 0). */
  address(): AddressInfo | undefined {
    return this.listener?.address();
  }

  /**
   * Checks the token and phone number id (`GET /{phoneNumberId}`), then listens for webhooks. Throws
   * UserError `bridge_bad_token` (token rejected), `bridge_bad_config` (unknown phone number id),
   * `bridge_unreachable` (Graph API unreachable) or `bridge_listen` (port taken).
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.listener) return;
    const info = await this.checkNumber(signal);
    this.me = {
      id: (info.display_phone_number ?? "").replace(/\D/g, "") || this.config.phoneNumberId,
      name: info.verified_name,
    };
    this.listener = await BridgeListener.open({
      bridgeId: this.id,
      platform: "WhatsApp",
      host: this.config.listenHost ?? "127.0.0.1",
      port: this.config.listenPort ?? 8089,
      log: this.ctx.log,
      handle: (req, res) => this.onRequest(req, res),
    });
    // undefined: this bridge already listens there (a connection test of the running bridge): probe only.
    if (!this.listener) return;
    signal.addEventListener("abort", () => void this.stop(), { once: true });
    this.statusHandler?.("connected");
  }

  /** Stops listening; idempotent. */
  async stop(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }

  /** Sends a text message; resolves to its wamid. Errors: see `mapWhatsAppSendError`. */
  async send(message: OutboundMessage): Promise<string> {
    try {
      const data = await this.graph.request<{ messages?: { id?: string }[] }>(
        "POST",
        `${this.config.phoneNumberId}/messages`,
        {
          messaging_product: "whatsapp",
          recipient_type: "individual",
          to: message.chatId,
          type: "text",
          text: { preview_url: false, body: message.text },
        },
      );
      return data.messages?.[0]?.id ?? "";
    } catch (err) {
      throw mapWhatsAppSendError(err);
    }
  }

  /**
   * Marks the user's last message read with a typing indicator (Cloud API v23.0 "Typing indicators"); at
   * most once per 20 s per message, since Meta keeps it up to 25 s. No-op before any message from the chat.
   */
  async typing(chatId: string): Promise<void> {
    const wamid = this.lastInbound.get(chatId);
    if (!wamid) return;
    const shown = this.typingShown.get(chatId);
    if (shown?.wamid === wamid && Date.now() - shown.at < TYPING_REFRESH_MS) return;
    this.typingShown.set(chatId, { wamid, at: Date.now() });
    try {
      await this.graph.request("POST", `${this.config.phoneNumberId}/messages`, {
        messaging_product: "whatsapp",
        status: "read",
        message_id: wamid,
        typing_indicator: { type: "text" },
      });
    } catch (err) {
      throw mapWhatsAppSendError(err);
    }
  }

  private async checkNumber(
    signal: AbortSignal,
  ): Promise<{ display_phone_number?: string; verified_name?: string }> {
    try {
      return await this.graph.request(
        "GET",
        `${this.config.phoneNumberId}?fields=display_phone_number,verified_name`,
        undefined,
        signal,
      );
    } catch (err) {
      if (err instanceof GraphApiError) {
        if (err.status === 401 || err.code === GRAPH_TOKEN_INVALID) {
          throw new UserError("WhatsApp rejected the access token (expired or invalid).", {
            fix: "Create a new token (Business settings → System users → Generate token, with whatsapp_business_messaging) and paste it again.",
            code: ErrorCode.BRIDGE_BAD_TOKEN,
          });
        }
        if (err.status === 404 || err.code === GRAPH_INVALID_PARAMETER) {
          throw new UserError(
            `WhatsApp knows no phone number id ${this.config.phoneNumberId} for this token.`,
            {
              fix: "Copy the Phone number ID (not the phone number) from WhatsApp Manager → API setup.",
              code: ErrorCode.BRIDGE_BAD_CONFIG,
            },
          );
        }
        throw err;
      }
      throw new UserError(`Cannot reach the WhatsApp Graph API at ${this.graphBase}.`, {
        fix: "Check the device's internet connection and DNS, or the graphApiUrl setting.",
        code: ErrorCode.BRIDGE_UNREACHABLE,
      });
    }
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://webhook");
    if (req.method === "GET") return this.verifySubscription(url, res);
    if (req.method !== "POST") return void res.writeHead(405, { allow: "GET, POST" }).end();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY_BYTES) return void res.writeHead(413).end();
      chunks.push(c as Buffer);
    }
    const raw = Buffer.concat(chunks);
    const header = req.headers[META_SIGNATURE_HEADER];
    if (!verifyMetaSignature(this.config.appSecret, raw, Array.isArray(header) ? header[0] : header)) {
      this.ctx.log.warn({ bridge: this.id }, "whatsapp webhook refused: missing or bad X-Hub-Signature-256");
      return void res.writeHead(401, { "content-type": "application/json" }).end('{"error":"bad signature"}');
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return void res.writeHead(400).end();
    }
    // Meta retries a webhook that is not answered 200 quickly: answer first, then handle.
    res.writeHead(200).end();
    const { messages, statuses } = parseWebhook(body, this.config.phoneNumberId);
    for (const s of statuses) {
      if (s.status !== "failed") continue;
      const why =
        s.errorCode === WA_REENGAGEMENT
          ? "more than 24 hours since the user's last message (only templates allowed)"
          : s.errorText;
      this.ctx.log.warn(
        { bridge: this.id, wamid: s.id, code: s.errorCode, why },
        "whatsapp message not delivered",
      );
    }
    for (const m of messages) {
      if (this.seen.has(m.id)) continue;
      this.seen.add(m.id);
      if (this.seen.size > SEEN_WAMIDS) this.seen.delete(this.seen.values().next().value as string);
      this.lastInbound.set(m.from, m.id);
      this.order.push(
        {
          id: m.id,
          chatId: m.from,
          senderId: m.from,
          senderName: m.name,
          isDirect: true,
          mentionsBot: true,
          isBot: false,
          text: m.text,
          timestamp: m.timestamp,
        },
        this.handler,
      );
    }
  }

  /** Meta's subscription check: echo `hub.challenge` when mode and verify token match, else 403. */
  private verifySubscription(url: URL, res: ServerResponse): void {
    const token = Buffer.from(url.searchParams.get("hub.verify_token") ?? "");
    const expected = Buffer.from(this.config.verifyToken);
    const ok =
      url.searchParams.get("hub.mode") === "subscribe" &&
      token.length === expected.length &&
      timingSafeEqual(token, expected);
    if (!ok) return void res.writeHead(403).end();
    res.writeHead(200, { "content-type": "text/plain" }).end(url.searchParams.get("hub.challenge") ?? "");
  }
}
