import { DWClient, type DWClientDownStream, TOPIC_ROBOT } from "dingtalk-stream";
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
import {
  DINGTALK_SEND_TOO_FAST,
  DingTalkApiError,
  DingTalkToken,
  dingtalkRequest,
  mapDingTalkError,
} from "./open-api.js";

/** `bridges.<id>` for `type: dingtalk`. */
export interface DingTalkBridgeConfig extends BridgeCommonConfig {
  type: "dingtalk";
  /** Client ID (AppKey) of the internal app. */
  clientId: string;
  /** Client Secret (AppSecret). A secret. */
  clientSecret: string;
  /** Robot code for OpenAPI sends; default `clientId`. */
  robotCode?: string;
  /** OpenAPI server, default https://api.dingtalk.com (also serves the Stream gateway). */
  apiUrl?: string;
}

/** The robot message in a TOPIC_ROBOT callback's `data` (DingTalk "Robot receives messages", Stream mode). */
interface RobotMessage {
  conversationId: string;
  conversationType: string;
  msgId: string;
  msgtype: string;
  text?: { content?: string };
  senderNick?: string;
  senderStaffId?: string;
  senderId?: string;
  chatbotUserId?: string;
  isInAtList?: boolean;
  sessionWebhook?: string;
  sessionWebhookExpiredTime?: number;
  createAt?: number;
  robotCode?: string;
}

/** A session webhook is used until this long before DingTalk's expiry, ms (chosen: one slow request). */
const WEBHOOK_MARGIN_MS = 30_000;

/**
 * The SDK's client with the gateway address configurable: `dingtalk-stream` hard-codes
 * https://api.dingtalk.com/v1.0/gateway/connections/open in getEndpoint(); this override makes the same
 * request to `apiUrl` (the device's config, or an emulator) and reports every (re)connection. Everything
 * else — the WebSocket, pings, callback frames, acks, reconnect — is the SDK's.
 */
class StreamClient extends DWClient {
  onConnected: (() => void) | undefined;
  /** Set by `close`: the SDK's own reconnect timer must not bring a stopped client back. */
  private closed = false;

  constructor(
    opts: ConstructorParameters<typeof DWClient>[0],
    private readonly gatewayUrl: string,
  ) {
    super(opts);
  }

  override async getEndpoint(): Promise<this> {
    if (this.closed) throw new Error("DingTalk stream client closed");
    const config = this.getConfig();
    const data = await dingtalkRequest<{ endpoint?: string; ticket?: string }>(this.gatewayUrl, {
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      ua: config.ua,
      subscriptions: config.subscriptions,
    });
    if (!data.endpoint || !data.ticket)
      throw new Error("DingTalk gateway answered without endpoint or ticket");
    (this as unknown as { dw_url: string }).dw_url = `${data.endpoint}?ticket=${data.ticket}`;
    return this;
  }

  override async _connect(): Promise<void> {
    if (this.closed) throw new Error("DingTalk stream client closed");
    await super._connect();
    this.onConnected?.();
  }

  /** Disconnects for good (the SDK's `disconnect`, plus no later reconnect). */
  close(): void {
    this.closed = true;
    this.onConnected = undefined;
    this.disconnect();
  }
}

/**
 * DingTalk robot over the official `dingtalk-stream` SDK (Stream mode). Inbound: TOPIC_ROBOT callbacks,
 * acked at once (unacked callbacks are pushed again for about 60 s); DMs (conversationType "1") and group
 * messages that @ the robot (DingTalk delivers only those). Outbound: the message's sessionWebhook while it
 * is valid (about 90 minutes), else the robot OpenAPI (`oToMessages/batchSend` to the staffId, or
 * `groupMessages/send` to the openConversationId). Neither accepts an idempotency key: a send whose answer
 * was lost can arrive twice. No edits for robot text messages. Sender ids are staffIds.
 */
export class DingTalkAdapter extends AdapterHooks<DingTalkBridgeConfig> implements ChannelAdapter {
  readonly type = "dingtalk";
  /**
   * Sources (open.dingtalk.com): "Robot sends group messages" — msgParam at most 15,000 bytes; the text is
   * JSON inside it (a quote or newline doubles), so 7,000 bytes of text always fit. Custom/robot messages:
   * 20 per minute per robot and chat, so one send every 3 s. Text messages render plain text (markdown
   * needs msgtype markdown with a title; replies stay text).
   */
  readonly capabilities: ChannelCapabilities = {
    maxTextLength: 7000,
    lengthUnit: "bytes",
    canEdit: false,
    canTyping: false,
    threads: false,
    format: "plain",
    minSendIntervalMs: 3000,
  };
  private readonly apiUrl: string;
  private readonly token: DingTalkToken;
  private client: StreamClient | undefined;
  private me: BotIdentity | undefined;
  private readonly webhooks = new Map<string, { url: string; until: number }>();
  private readonly order: InboundOrder;
  private sent = 0;

  constructor(config: DingTalkBridgeConfig, ctx: AdapterContext) {
    super(config, ctx);
    this.order = new InboundOrder(ctx.log, "dingtalk");
    this.apiUrl = config.apiUrl ?? "https://api.dingtalk.com";
    this.token = new DingTalkToken(this.apiUrl, config.clientId, config.clientSecret);
  }

  selfId(): BotIdentity | undefined {
    return this.me;
  }

  /**
   * Checks the credentials (access token), opens the Stream connection (gateway → wss) and resolves once
   * connected; the SDK reconnects by itself afterwards. Throws UserError `bridge_bad_token` or
   * `bridge_unreachable`.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.client) return;
    await this.token.get(signal);
    this.me = { id: this.config.robotCode ?? this.config.clientId };
    const client = new StreamClient(
      { clientId: this.config.clientId, clientSecret: this.config.clientSecret, keepAlive: true },
      `${this.apiUrl}/v1.0/gateway/connections/open`,
    );
    client.registerCallbackListener(TOPIC_ROBOT, (frame: DWClientDownStream) => {
      // Ack first: DingTalk pushes an unanswered callback again.
      client.socketCallBackResponse(frame.headers.messageId, { status: "SUCCESS" });
      this.enqueue(frame);
    });
    this.client = client;
    try {
      await client.getEndpoint();
      await client._connect();
    } catch (err) {
      await this.stop();
      if (err instanceof DingTalkApiError && err.status >= 400 && err.status < 500) {
        throw new UserError(
          `DingTalk refused the Stream connection for ${this.config.clientId} (${err.code}).`,
          {
            fix: 'In the developer console enable the robot with message receiving mode "Stream mode", and publish the app.',
            code: ErrorCode.BRIDGE_MISSING_INTENT,
          },
        );
      }
      throw err;
    }
    client.onConnected = () => this.statusHandler?.("connected");
    signal.addEventListener("abort", () => void this.stop(), { once: true });
    this.statusHandler?.("connected");
  }

  /** Closes the Stream connection; idempotent. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    client?.close();
  }

  /**
   * Sends one text message: to the chat's session webhook while valid, else (or when DingTalk refuses the
   * session) through the robot OpenAPI.
   * Resolves to an id (OpenAPI processQueryKey, or a local one for webhook sends, which return none).
   * Errors: see `mapDingTalkError`.
   */
  async send(message: OutboundMessage): Promise<string> {
    try {
      const hook = this.webhooks.get(message.chatId);
      if (hook && hook.until > Date.now()) {
        try {
          await dingtalkRequest(hook.url, { msgtype: "text", text: { content: message.text } });
          return `webhook-${Date.now()}-${++this.sent}`;
        } catch (err) {
          // A refused session (expired early, robot re-added): forget it and use the OpenAPI. Rate limits
          // and network errors are not the session's fault and are passed on.
          const rateLimited = err instanceof DingTalkApiError && DINGTALK_SEND_TOO_FAST.has(Number(err.code));
          if (!(err instanceof DingTalkApiError) || rateLimited) throw err;
          this.webhooks.delete(message.chatId);
        }
      }
      return await this.sendByOpenApi(message.chatId, message.text);
    } catch (err) {
      if (err instanceof DingTalkApiError && err.status === 401) this.token.clear();
      throw mapDingTalkError(err);
    }
  }

  private async sendByOpenApi(chatId: string, text: string): Promise<string> {
    const token = await this.token.get();
    const robotCode = this.config.robotCode ?? this.config.clientId;
    const msgParam = JSON.stringify({ content: text });
    const [kind, id] = [chatId.slice(0, chatId.indexOf(":")), chatId.slice(chatId.indexOf(":") + 1)];
    if (kind === "user") {
      const res = await dingtalkRequest<{ processQueryKey?: string; flowControlledStaffIdList?: string[] }>(
        `${this.apiUrl}/v1.0/robot/oToMessages/batchSend`,
        { robotCode, userIds: [id], msgKey: "sampleText", msgParam },
        { token },
      );
      if (res.flowControlledStaffIdList?.length) {
        throw new DingTalkApiError(429, "Throttling.FlowControlled", "recipient flow-controlled");
      }
      return res.processQueryKey ?? "";
    }
    const res = await dingtalkRequest<{ processQueryKey?: string }>(
      `${this.apiUrl}/v1.0/robot/groupMessages/send`,
      { robotCode, openConversationId: id, msgKey: "sampleText", msgParam },
      { token },
    );
    return res.processQueryKey ?? "";
  }

  /** Normalises a robot callback and hands it to the core in arrival order per chat. */
  private enqueue(frame: DWClientDownStream): void {
    let m: RobotMessage;
    try {
      m = JSON.parse(frame.data) as RobotMessage;
    } catch {
      return;
    }
    if (m.msgtype !== "text") return;
    const isDirect = m.conversationType === "1";
    const staffId = m.senderStaffId ?? "";
    // DMs keep the staffId as chat (OpenAPI sends to users need it); groups their openConversationId.
    const chatId = isDirect && staffId ? `user:${staffId}` : `group:${m.conversationId}`;
    if (m.sessionWebhook) {
      this.webhooks.set(chatId, {
        url: m.sessionWebhook,
        until: (m.sessionWebhookExpiredTime ?? 0) - WEBHOOK_MARGIN_MS,
      });
    }
    const inbound: InboundMessage = {
      id: m.msgId,
      chatId,
      senderId: staffId,
      senderName: m.senderNick,
      isDirect,
      // DingTalk delivers group messages to a robot only when it is @-mentioned.
      mentionsBot: isDirect || m.isInAtList !== false,
      isBot: false,
      text: (m.text?.content ?? "").trim(),
      timestamp: m.createAt,
    };
    this.order.push(inbound, this.handler);
  }
}
