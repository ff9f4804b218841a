import { App, LogLevel } from "@slack/bolt";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { AdapterHooks } from "../adapter-hooks.js";
import {
  type AdapterContext,
  type BotIdentity,
  type BridgeCommonConfig,
  type ChannelAdapter,
  type ChannelCapabilities,
  type InboundMessage,
  type OutboundMessage,
  PermanentSendError,
  RateLimitedError,
} from "../types.js";

type BoltApp = InstanceType<typeof App>;

/** `bridges.<id>` for `type: slack`. */
export interface SlackBridgeConfig extends BridgeCommonConfig {
  type: "slack";
  /** Bot token `xoxb-…` (OAuth & Permissions). A secret. */
  botToken: string;
  /** App-level token `xapp-…` with `connections:write` (Basic Information → App-Level Tokens). A secret. */
  appToken: string;
  /** Web API base with trailing slash, default https://slack.com/api/. */
  apiUrl?: string;
}

/** Slack errors that will not go away by retrying (Web API method docs). */
const PERMANENT = new Set([
  "channel_not_found",
  "not_in_channel",
  "is_archived",
  "msg_too_long",
  "no_text",
  "message_not_found",
  "cant_update_message",
  "restricted_action",
  "invalid_auth",
  "account_inactive",
  "token_revoked",
]);

/**
 * Slack bridge over @slack/bolt in Socket Mode (no public URL needed). Inbound: `message` events (DMs and
 * channels the bot is in; channel messages count only when they mention the bot). Outbound: chat.postMessage /
 * chat.update with mrkdwn text; channel replies go into the thread of the asking message.
 * Sender ids are Slack user ids (`U…`/`W…`). Slack has no typing indicator for bots.
 */
export class SlackAdapter extends AdapterHooks<SlackBridgeConfig> implements ChannelAdapter {
  readonly type = "slack";
  /**
   * Source: chat.postMessage docs — text over 40,000 chars is truncated, "best results" ≤ 4,000; rate tier
   * "special": about 1 message per second per channel.
   */
  readonly capabilities: ChannelCapabilities = {
    maxTextLength: 4000,
    lengthUnit: "chars",
    canEdit: true,
    canTyping: false,
    threads: true,
    format: "mrkdwn",
    minEditIntervalMs: 1000,
    minSendIntervalMs: 1000,
  };
  private app: BoltApp | undefined;
  private me: BotIdentity | undefined;

  selfId(): BotIdentity | undefined {
    return this.me;
  }

  /**
   * auth.test with the bot token, then apps.connections.open with the app token and the Socket Mode
   * websocket; resolves when connected. Bolt's client reconnects by itself. Throws UserError for a bad or
   * swapped token or an unreachable Slack.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.app) return;
    const clientOptions = {
      ...(this.config.apiUrl ? { slackApiUrl: this.config.apiUrl } : {}),
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    };
    const app = new App({
      token: this.config.botToken,
      appToken: this.config.appToken,
      socketMode: true,
      deferInitialization: true,
      clientOptions,
      installerOptions: { clientOptions },
      logger: boltLogger(this.ctx),
      logLevel: LogLevel.WARN,
    });
    app.event("message", async ({ event }) => this.dispatch(event as unknown as SlackMessageEvent));
    app.error(async (err) => this.ctx.log.warn({ err: err.message }, "slack listener failed"));
    this.app = app;
    signal.addEventListener("abort", () => void this.stop(), { once: true });
    try {
      if (!this.config.appToken.startsWith("xapp-")) throw swapped();
      const auth = await app.client.auth.test();
      this.me = { id: String(auth.user_id), name: String(auth.user ?? "") };
      await app.init();
      await app.start();
    } catch (err) {
      await this.stop();
      throw describeStartError(err);
    }
    this.statusHandler?.("connected");
  }

  /** Closes the Socket Mode connection; idempotent. */
  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    if (app) await app.stop().catch(() => undefined);
  }

  /**
   * chat.postMessage (mrkdwn). Resolves to the message `ts`. Throws RateLimitedError (HTTP 429 Retry-After),
   * PermanentSendError (channel_not_found, not_in_channel, msg_too_long, …), other errors transient.
   */
  async send(message: OutboundMessage): Promise<string> {
    const app = this.requireApp();
    try {
      const res = await app.client.chat.postMessage({
        channel: message.chatId,
        text: message.text,
        mrkdwn: true,
        ...(message.threadId ? { thread_ts: message.threadId } : {}),
      });
      return String(res.ts);
    } catch (err) {
      throw mapSendError(err);
    }
  }

  /** chat.update of a message this bot posted. Errors as for `send`. */
  async edit(chatId: string, messageId: string, text: string): Promise<void> {
    try {
      await this.requireApp().client.chat.update({ channel: chatId, ts: messageId, text });
    } catch (err) {
      throw mapSendError(err);
    }
  }

  private requireApp(): BoltApp {
    if (!this.app) throw new Error(`slack bridge ${this.id} is not running`);
    return this.app;
  }

  private async dispatch(event: SlackMessageEvent): Promise<void> {
    if (!this.handler || !this.me) return;
    const isBot = event.subtype === "bot_message" || Boolean(event.bot_id) || event.user === this.me.id;
    if (event.subtype && event.subtype !== "bot_message" && event.subtype !== "thread_broadcast") return;
    const isDirect = event.channel_type === "im";
    const mention = `<@${this.me.id}>`;
    const text = event.text ?? "";
    const inbound: InboundMessage = {
      id: event.ts,
      chatId: event.channel,
      senderId: event.user ?? "",
      isDirect,
      mentionsBot: isDirect || text.includes(mention),
      isBot,
      text: text.split(mention).join("").trim(),
      timestamp: Math.round(Number(event.ts) * 1000),
    };
    // DMs answer in the DM; in channels the reply goes into the asker's thread.
    const threadId = event.thread_ts ?? (isDirect ? undefined : event.ts);
    if (threadId) inbound.threadId = threadId;
    await this.handler(inbound);
  }
}

/** The fields of a Slack `message` event the adapter reads (Events API docs). */
interface SlackMessageEvent {
  type: "message";
  subtype?: string;
  channel: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
}

/** Bolt's Logger interface over the bridge logger (Bolt logs no tokens; its messages are strings). */
function boltLogger(ctx: AdapterContext) {
  let level = LogLevel.WARN;
  const text = (msg: unknown[]) => msg.map(String).join(" ");
  return {
    // Bolt's debug lines include whole request bodies (message texts): never logged.
    debug: () => undefined,
    info: (...msg: unknown[]) => ctx.log.info({ lib: "bolt" }, text(msg)),
    warn: (...msg: unknown[]) => ctx.log.warn({ lib: "bolt" }, text(msg)),
    error: (...msg: unknown[]) => ctx.log.warn({ lib: "bolt" }, text(msg)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

function swapped(): UserError {
  return new UserError("The Slack app token must be the app-level token starting with xapp-.", {
    fix: "In your Slack app open Basic Information → App-Level Tokens, create one with connections:write, and use that xapp- token as appToken; the xoxb- token is botToken.",
    code: ErrorCode.BRIDGE_BAD_TOKEN,
  });
}

function describeStartError(err: unknown): Error {
  if (err instanceof UserError) return err;
  const data = (err as { data?: { error?: string }; code?: string; original?: { code?: string } }) ?? {};
  const slackError = data.data?.error;
  if (slackError === "invalid_auth" || slackError === "not_authed" || slackError === "token_revoked") {
    return new UserError(`Slack rejected a token (${slackError}).`, {
      fix: "Reinstall the app to the workspace and copy the Bot User OAuth Token (xoxb-…) and the app-level token (xapp-…) again.",
      code: ErrorCode.BRIDGE_BAD_TOKEN,
    });
  }
  if (slackError === "not_allowed_token_type") return swapped();
  const text = String((err as Error)?.message ?? err);
  if (
    data.code === "slack_webapi_request_error" ||
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|fetch failed/.test(text)
  ) {
    return new UserError("Cannot reach Slack.", {
      fix: "Check the device's internet connection and DNS (slack.com and wss-primary.slack.com must be reachable).",
      code: ErrorCode.BRIDGE_UNREACHABLE,
    });
  }
  return err instanceof Error ? err : new Error(text);
}

function mapSendError(err: unknown): Error {
  const e = err as { code?: string; retryAfter?: number; data?: { error?: string } };
  if (e?.code === "slack_webapi_rate_limited_error") return new RateLimitedError((e.retryAfter ?? 1) * 1000);
  const slackError = e?.data?.error;
  if (slackError && PERMANENT.has(slackError)) return new PermanentSendError(`slack: ${slackError}`);
  return err instanceof Error ? err : new Error(String(err));
}
