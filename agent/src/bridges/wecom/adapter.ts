import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { XMLParser } from "fast-xml-parser";
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
import { WeComCrypto } from "./callback-crypto.js";
import { mapWeComError, WECOM_TOKEN_REFRESH, WeComApiError, WeComToken, wecomRequest } from "./wecom-api.js";

/** `bridges.<id>` for `type: wecom`. */
export interface WeComBridgeConfig extends BridgeCommonConfig {
  type: "wecom";
  corpId: string;
  agentId: number;
  /** The app's Secret. A secret. */
  corpSecret: string;
  /** Callback Token (signature). A secret. */
  token: string;
  /** Callback EncodingAESKey, 43 characters. A secret. */
  encodingAesKey: string;
  /** Default 127.0.0.1. */
  listenHost?: string;
  /** Default 8090; 0 = any free port (tests). */
  listenPort?: number;
  /** Default https://qyapi.weixin.qq.com. */
  apiUrl?: string;
}

/** Largest callback body accepted, bytes (one encrypted text message is a few KB). */
const MAX_BODY_BYTES = 64 * 1024;
/** MsgIds remembered against WeCom's retries (it retries 3 times when not answered within 5 s). */
const SEEN_MSGIDS = 2000;

const xml = new XMLParser({ parseTagValue: false, processEntities: false });

/**
 * WeCom (企业微信) self-built application. Inbound: WeCom's callback on this adapter's own port, behind the
 * owner's HTTPS reverse proxy — `GET` URL verification (msg_signature over echostr, answer the decrypted
 * echostr) and `POST` encrypted XML (bad signature → 403, undecryptable → 400), answered at once with an
 * empty 200 (the reply goes by API, so WeCom's 5-second limit is kept and it does not retry). Outbound:
 * `message/send` text to the userid with the cached access_token, refreshed on 40014/42001. Application
 * messages are one to one (isDirect); sender ids are userids. No edits, no idempotency key: WeCom's
 * `enable_duplicate_check` drops repeated *content*, not a repeated request, so it is not used.
 */
export class WeComAdapter extends AdapterHooks<WeComBridgeConfig> implements ChannelAdapter {
  readonly type = "wecom";
  /**
   * Sources (developer.work.weixin.qq.com): "发送应用消息" (path/90236) — text.content at most 2048 bytes,
   * longer is cut; frequency limits (path/90312) — 30 messages a minute per member per app, more are
   * dropped without an error, so one send every 2 s. Text renders plain (markdown only in the WeCom client).
   */
  readonly capabilities: ChannelCapabilities = {
    maxTextLength: 2048,
    lengthUnit: "bytes",
    canEdit: false,
    canTyping: false,
    threads: false,
    format: "plain",
    minSendIntervalMs: 2000,
  };
  private readonly apiUrl: string;
  private readonly crypto: WeComCrypto;
  private readonly accessToken: WeComToken;
  private listener: BridgeListener | undefined;
  private me: BotIdentity | undefined;
  private readonly seen = new Set<string>();
  private readonly order: InboundOrder;

  /** Throws UserError `bridge_bad_config` for an EncodingAESKey that is not 43 Base64 characters. */
  constructor(config: WeComBridgeConfig, ctx: AdapterContext) {
    super(config, ctx);
    this.order = new InboundOrder(ctx.log, "wecom");
    this.apiUrl = config.apiUrl ?? "https://qyapi.weixin.qq.com";
    try {
      this.crypto = new WeComCrypto(config.token, config.encodingAesKey, config.corpId);
    } catch (err) {
      throw new UserError(`WeCom bridge "${ctx.id}": ${(err as Error).message}.`, {
        fix: "Copy the EncodingAESKey again from the app's Receive messages → API settings (press Random to make one).",
        code: ErrorCode.BRIDGE_BAD_CONFIG,
      });
    }
    this.accessToken = new WeComToken(this.apiUrl, config.corpId, config.corpSecret);
  }

  selfId(): BotIdentity | undefined {
    return this.me;
  }

  /** Bound callback address after start (tests use port 0). */
  address(): AddressInfo | undefined {
    return this.listener?.address();
  }

  /**
   * Fetches an access_token (checks CorpID and Secret), then listens for callbacks. Throws UserError
   * `bridge_bad_token`, `bridge_unreachable` or `bridge_listen` (port taken).
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.listener) return;
    await this.accessToken.get(signal);
    this.me = { id: `${this.config.corpId}/${this.config.agentId}` };
    this.listener = await BridgeListener.open({
      bridgeId: this.id,
      platform: "WeCom",
      host: this.config.listenHost ?? "127.0.0.1",
      port: this.config.listenPort ?? 8090,
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

  /**
   * Sends a text message to the userid (`message/send`); resolves to WeCom's msgid. A token WeCom calls
   * invalid or expired is fetched again and the send retried once. Errors: see `mapWeComError`.
   */
  async send(message: OutboundMessage): Promise<string> {
    const body = {
      touser: message.chatId,
      msgtype: "text",
      agentid: this.config.agentId,
      text: { content: message.text },
      safe: 0,
    };
    for (let attempt = 0; ; attempt++) {
      try {
        const token = await this.accessToken.get();
        const url = `${this.apiUrl}/cgi-bin/message/send?access_token=${encodeURIComponent(token)}`;
        const res = await wecomRequest<{ msgid?: string; invaliduser?: string }>(url, body);
        if (res.invaliduser) throw new WeComApiError(81013, `user ${res.invaliduser} invalid or not visible`);
        return res.msgid ?? "";
      } catch (err) {
        if (err instanceof WeComApiError && WECOM_TOKEN_REFRESH.has(err.errcode) && attempt === 0) {
          this.accessToken.clear();
          continue;
        }
        throw mapWeComError(err);
      }
    }
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://callback");
    const q = (k: string) => url.searchParams.get(k) ?? "";
    if (req.method === "GET") {
      // URL verification: the echostr is encrypted; answer its plaintext.
      if (!this.crypto.verify(q("msg_signature"), q("timestamp"), q("nonce"), q("echostr"))) {
        return void res.writeHead(403).end();
      }
      const plain = this.crypto.decrypt(q("echostr"));
      return void res.writeHead(200, { "content-type": "text/plain" }).end(plain);
    }
    if (req.method !== "POST") return void res.writeHead(405, { allow: "GET, POST" }).end();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY_BYTES) return void res.writeHead(413).end();
      chunks.push(c as Buffer);
    }
    const envelope = xml.parse(Buffer.concat(chunks).toString("utf8")) as { xml?: { Encrypt?: unknown } };
    const encrypted = String(envelope.xml?.Encrypt ?? "");
    if (!encrypted || !this.crypto.verify(q("msg_signature"), q("timestamp"), q("nonce"), encrypted)) {
      this.ctx.log.warn({ bridge: this.id }, "wecom callback refused: missing or bad msg_signature");
      return void res.writeHead(403).end();
    }
    let message: Record<string, string>;
    try {
      message = (xml.parse(this.crypto.decrypt(encrypted)) as { xml?: Record<string, string> }).xml ?? {};
    } catch {
      return void res.writeHead(400).end();
    }
    // Answer at once (WeCom waits 5 s, then retries): the reply goes by message/send.
    res.writeHead(200, { "content-type": "text/plain" }).end("");
    if (message.MsgType !== "text" || !message.MsgId || !message.FromUserName) return;
    if (String(message.AgentID ?? "") !== String(this.config.agentId)) return;
    if (this.seen.has(message.MsgId)) return;
    this.seen.add(message.MsgId);
    if (this.seen.size > SEEN_MSGIDS) this.seen.delete(this.seen.values().next().value as string);
    this.order.push(
      {
        id: message.MsgId,
        chatId: message.FromUserName,
        senderId: message.FromUserName,
        isDirect: true,
        mentionsBot: true,
        isBot: false,
        text: String(message.Content ?? "").trim(),
        timestamp: Number(message.CreateTime) * 1000 || undefined,
      },
      this.handler,
    );
  }
}
