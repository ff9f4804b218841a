import { createHash } from "node:crypto";
import * as lark from "@larksuiteoapi/node-sdk";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { AdapterHooks } from "../adapter-hooks.js";
import { InboundOrder } from "../inbound-order.js";
import type {
  AdapterContext,
  BotIdentity,
  BridgeCommonConfig,
  ChannelAdapter,
  ChannelCapabilities,
  InboundMessage,
  OutboundMessage,
} from "../types.js";
import { FEISHU_DOMAINS, isTokenInvalid, mapFeishuError, openPlatformCall } from "./open-api.js";

/** `bridges.<id>` for `type: feishu`. */
export interface FeishuBridgeConfig extends BridgeCommonConfig {
  type: "feishu";
  /** App ID `cli_…` (developer console → Credentials & Basic Info). */
  appId: string;
  /** App Secret. A secret. */
  appSecret: string;
  /** feishu = open.feishu.cn, lark = open.larksuite.com. Default feishu. */
  domain?: "feishu" | "lark";
  /** Base URL overriding `domain` (tests). No trailing slash. */
  baseUrl?: string;
}

/** The flattened `im.message.receive_v1` event the SDK's EventDispatcher hands to the handler (v2 schema). */
interface FeishuMessageEvent {
  event_id?: string;
  sender?: {
    sender_id?: { open_id?: string; union_id?: string; user_id?: string };
    sender_type?: string;
  };
  message?: {
    message_id: string;
    root_id?: string;
    chat_id: string;
    chat_type?: string;
    message_type?: string;
    content?: string;
    create_time?: string;
    mentions?: { key: string; id?: { open_id?: string }; name?: string }[];
  };
}

/**
 * Feishu / Lark bot over the official SDK. Inbound: `im.message.receive_v1` through the SDK's WSClient long
 * connection (the SDK fetches a wss URL from `/callback/ws/endpoint`, speaks protobuf frames, pings and
 * reconnects; each event is acked when the handler returns, so the handler only queues). Outbound: IM API
 * `im.message.create` (p2p) or `im.message.reply` (groups: the asker's message), text messages, with a
 * `uuid` derived from the outbox id — Feishu sends at most one message per uuid within an hour, so a send
 * whose answer was lost is retried without a duplicate. Streaming edits use `im.message.update` (PUT,
 * text and post messages only; `im.message.patch` is for cards). Sender ids are open_ids; a union_id
 * in allowFrom is honoured.
 */
export class FeishuAdapter extends AdapterHooks<FeishuBridgeConfig> implements ChannelAdapter {
  readonly type = "feishu";
  /**
   * Sources (open.feishu.cn → Server API → IM → Message): "Send message" — a text message request body may
   * be at most 150 KB, and the text travels as JSON inside JSON (a quote becomes 4 bytes), so 150 KB / 4 ≈
   * 37.5 KB: 30,000 bytes leaves room for the envelope; 5 QPS per user / per group shared by bots (one send
   * every 200 ms). "Edit message" — text and post messages can be edited (PUT); edits every 1.5 s keep a
   * stream under that limit with room for the sends. Text messages render plain text (markdown needs cards).
   */
  readonly capabilities: ChannelCapabilities = {
    maxTextLength: 30_000,
    lengthUnit: "bytes",
    canEdit: true,
    canTyping: false,
    threads: true,
    format: "plain",
    minEditIntervalMs: 1500,
    minSendIntervalMs: 200,
  };
  private readonly base: string;
  private client: lark.Client | undefined;
  private ws: lark.WSClient | undefined;
  private me: BotIdentity | undefined;
  private readonly order: InboundOrder;
  /**
   * This adapter's tenant_access_token cache (the SDK's default is one per process keyed by app id, which
   * would keep a token across a restart with other credentials). Cleared when Feishu calls a token invalid.
   */
  private readonly tokenCache = new TokenCache();

  constructor(config: FeishuBridgeConfig, ctx: AdapterContext) {
    super(config, ctx);
    this.order = new InboundOrder(ctx.log, "feishu");
    this.base = config.baseUrl ?? FEISHU_DOMAINS[config.domain ?? "feishu"];
  }

  selfId(): BotIdentity | undefined {
    return this.me;
  }

  /**
   * Checks the app credentials (tenant_access_token/internal) and reads the bot's open_id (bot/v3/info),
   * then opens the long connection; resolves when the SDK reports it ready. Throws UserError
   * `bridge_bad_token` (app id/secret refused), `bridge_missing_intent` (the app has no bot),
   * `bridge_unreachable` (open platform unreachable).
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.ws) return;
    const token = await openPlatformCall<{ tenant_access_token?: string }>(
      this.base,
      "POST",
      "/open-apis/auth/v3/tenant_access_token/internal",
      { body: { app_id: this.config.appId, app_secret: this.config.appSecret }, signal },
    );
    if (!token.tenant_access_token) throw badCredentials(this.config.appId, "no tenant_access_token");
    const info = await openPlatformCall<{ bot?: { open_id?: string; app_name?: string } }>(
      this.base,
      "GET",
      "/open-apis/bot/v3/info",
      { token: token.tenant_access_token, signal },
    );
    if (!info.bot?.open_id) {
      throw new UserError(`Feishu app ${this.config.appId} has no bot.`, {
        fix: "In the developer console open Features → Bot, enable it, and publish a new app version.",
        code: ErrorCode.BRIDGE_MISSING_INTENT,
      });
    }
    this.me = { id: info.bot.open_id, name: info.bot.app_name };
    const logger = sdkLogger(this.ctx);
    this.client = new lark.Client({
      appId: this.config.appId,
      appSecret: this.config.appSecret,
      domain: this.base,
      cache: this.tokenCache,
      logger,
      loggerLevel: lark.LoggerLevel.warn,
    });
    const dispatcher = new lark.EventDispatcher({ logger, loggerLevel: lark.LoggerLevel.warn }).register({
      "im.message.receive_v1": async (event: FeishuMessageEvent) => {
        this.enqueue(event);
      },
    });
    let ready = false;
    await new Promise<void>((resolve, reject) => {
      const ws = new lark.WSClient({
        appId: this.config.appId,
        appSecret: this.config.appSecret,
        domain: this.base,
        logger,
        loggerLevel: lark.LoggerLevel.warn,
        autoReconnect: true,
        onReady: () => {
          ready = true;
          resolve();
        },
        onError: (err: Error) => {
          // Before ready: the endpoint refused this app (the SDK does not retry those); after: the SDK gave
          // up reconnecting, so the core restarts the bridge with backoff.
          if (!ready) reject(longConnectionRefused(this.config.appId, err.message));
          else this.statusHandler?.("disconnected", err);
        },
        onReconnected: () => this.statusHandler?.("connected"),
      });
      this.ws = ws;
      signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
      void ws.start({ eventDispatcher: dispatcher });
    }).catch(async (err: unknown) => {
      await this.stop();
      throw err;
    });
    signal.addEventListener("abort", () => void this.stop(), { once: true });
    this.statusHandler?.("connected");
  }

  /** Closes the long connection; idempotent. */
  async stop(): Promise<void> {
    const ws = this.ws;
    this.ws = undefined;
    ws?.close({ force: true });
  }

  /**
   * Sends one text message: a reply to `threadId` (the asker's message in a group) or a new message in the
   * chat. Resolves to the message_id. Errors: see `mapFeishuError`.
   */
  async send(message: OutboundMessage): Promise<string> {
    const client = this.requireClient();
    const content = JSON.stringify({ text: message.text });
    const uuid = message.outboxId ? idempotencyKey(message.outboxId) : undefined;
    try {
      const res = message.threadId
        ? await client.im.message.reply({
            path: { message_id: message.threadId },
            data: { content, msg_type: "text", ...(uuid ? { uuid } : {}) },
          })
        : await client.im.message.create({
            params: { receive_id_type: "chat_id" },
            data: { receive_id: message.chatId, content, msg_type: "text", ...(uuid ? { uuid } : {}) },
          });
      if (res.code !== 0 || !res.data?.message_id) throw Object.assign(new Error(res.msg), { body: res });
      return res.data.message_id;
    } catch (err) {
      throw this.mapError(err);
    }
  }

  /** Replaces the text of a text message this bot sent (`im.message.update`, PUT). Errors as for `send`. */
  async edit(_chatId: string, messageId: string, text: string): Promise<void> {
    try {
      const res = await this.requireClient().im.message.update({
        path: { message_id: messageId },
        data: { msg_type: "text", content: JSON.stringify({ text }) },
      });
      if (res.code !== 0) throw Object.assign(new Error(res.msg), { body: res });
    } catch (err) {
      throw this.mapError(err);
    }
  }

  /** mapFeishuError, and a token Feishu calls invalid is dropped so the retry fetches a new one. */
  private mapError(err: unknown): Error {
    const mapped = mapFeishuError(err);
    if (isTokenInvalid(err)) this.tokenCache.clear();
    return mapped;
  }

  private requireClient(): lark.Client {
    if (!this.client) throw new Error(`feishu bridge ${this.id} is not running`);
    return this.client;
  }

  /** Normalises the event and hands it to the core in arrival order per chat, without holding the ack. */
  private enqueue(event: FeishuMessageEvent): void {
    const m = event.message;
    if (!m || !this.me) return;
    if (m.message_type !== "text") return;
    let text = "";
    try {
      text = String((JSON.parse(m.content ?? "{}") as { text?: unknown }).text ?? "");
    } catch {
      return;
    }
    const isDirect = m.chat_type === "p2p";
    const mentions = m.mentions ?? [];
    for (const mention of mentions) text = text.split(mention.key).join("");
    const ids = event.sender?.sender_id ?? {};
    // allowFrom may name a union_id (stable across the developer's apps); otherwise the app's open_id.
    const union = ids.union_id && this.config.allowFrom?.includes(ids.union_id) ? ids.union_id : undefined;
    const inbound: InboundMessage = {
      id: m.message_id,
      chatId: m.chat_id,
      senderId: union ?? ids.open_id ?? "",
      isDirect,
      mentionsBot: isDirect || mentions.some((x) => x.id?.open_id === this.me?.id),
      isBot: event.sender?.sender_type !== "user",
      text: text.trim(),
      timestamp: Number(m.create_time) || undefined,
    };
    // Groups: answer as a reply to the asking message (it shows quoted, or in its topic).
    if (!isDirect) inbound.threadId = m.message_id;
    this.order.push(inbound, this.handler);
  }
}

/**
 * Feishu's idempotency key for an outbox piece: the send API's `uuid` ("a unique string from the developer;
 * requests with the same uuid send at most one message within one hour", at most 50 characters) — the
 * outbox id can be longer, so its SHA-256 in UUID layout (36 characters).
 */
export function idempotencyKey(outboxId: string): string {
  const h = createHash("sha256").update(outboxId).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function badCredentials(appId: string, detail: string): UserError {
  return new UserError(`Feishu refused the app credentials of ${appId} (${detail}).`, {
    fix: "Copy App ID and App Secret again from the developer console → Credentials & Basic Info, and check domain (feishu or lark) matches where the app was created.",
    code: ErrorCode.BRIDGE_BAD_TOKEN,
  });
}

/**
 * Why `/callback/ws/endpoint` refused the app: 1000040350 = the app has too many long connections (Feishu
 * allows 50 per app), anything else (514 auth failed, 403 forbidden) = credentials.
 */
function longConnectionRefused(appId: string, detail: string): UserError {
  if (detail.includes("1000040350")) {
    return new UserError(
      `Feishu refused another long connection for ${appId}: too many are open (${detail}).`,
      {
        fix: "Stop other programs or devices using this app's long connection, or create a separate app for this device.",
        code: ErrorCode.BRIDGE_MISSING_INTENT,
      },
    );
  }
  return badCredentials(appId, detail);
}

/** The SDK's Cache interface over a Map with expiry (ms since epoch, as the SDK passes it). */
class TokenCache {
  private readonly values = new Map<string, { value: unknown; expire?: number }>();
  private key(key: unknown, namespace?: string): string {
    return `${namespace ?? ""}/${String(key)}`;
  }
  async set(key: unknown, value: unknown, expire?: number, options?: { namespace?: string }) {
    this.values.set(this.key(key, options?.namespace), { value, expire });
    return true;
  }
  async get(key: unknown, options?: { namespace?: string }) {
    const hit = this.values.get(this.key(key, options?.namespace));
    if (!hit || (hit.expire !== undefined && hit.expire < Date.now())) return undefined;
    return hit.value;
  }
  clear(): void {
    this.values.clear();
  }
}

/** The SDK's Logger over the bridge logger; its debug/trace lines carry event bodies and are never logged. */
function sdkLogger(ctx: AdapterContext) {
  const text = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : String(m))).join(" ");
  return {
    error: (...msg: unknown[]) => ctx.log.warn({ lib: "lark" }, text(msg)),
    warn: (...msg: unknown[]) => ctx.log.warn({ lib: "lark" }, text(msg)),
    info: (...msg: unknown[]) => ctx.log.debug({ lib: "lark" }, text(msg)),
    debug: () => undefined,
    trace: () => undefined,
  };
}
