import { autoRetry } from "@grammyjs/auto-retry";
import { apiThrottler } from "@grammyjs/transformer-throttler";
import { Bot, type Context, GrammyError, HttpError } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { AdapterHooks } from "../adapter-hooks.js";
import {
  type BotIdentity,
  type BridgeCommonConfig,
  type ChannelAdapter,
  type ChannelCapabilities,
  type InboundMessage,
  type OutboundMessage,
  PermanentSendError,
  RateLimitedError,
} from "../types.js";

/** `bridges.<id>` for `type: telegram`. */
export interface TelegramBridgeConfig extends BridgeCommonConfig {
  type: "telegram";
  /** Bot token from @BotFather, "<numeric bot id>:<secret>". A secret. */
  token: string;
  /** Bot API server root without trailing slash; default https://api.telegram.org (a local Bot API server works too). */
  apiRoot?: string;
}

/**
 * Largest `retry_after` (s) the auto-retry plugin waits out inside one call; a longer one becomes a
 * `RateLimitedError` so the core's outbox waits instead of holding the send queue. Chosen, not measured.
 */
const MAX_INLINE_RETRY_S = 10;
/** getUpdates long-poll timeout, s (grammY default 30; Bot API allows up to 50). */
const POLL_TIMEOUT_S = 30;

/**
 * Telegram bridge over grammY long polling, with @grammyjs/auto-retry (429 `retry_after` ≤ 10 s and 5xx
 * retried at most 3 times inside the call; network errors go to the core's outbox) and @grammyjs/transformer-throttler (Telegram's documented
 * limits: ~30 msg/s overall, 1 msg/s per chat, 20 msg/min per group).
 * Sender ids are Telegram numeric user ids. Replies are plain text (no parse_mode), ≤ 4096 chars.
 */
export class TelegramAdapter extends AdapterHooks<TelegramBridgeConfig> implements ChannelAdapter {
  readonly type = "telegram";
  /** Source: Bot API docs, sendMessage `text` "1-4096 characters"; FAQ: avoid > 1 msg/s per chat. */
  readonly capabilities: ChannelCapabilities = {
    maxTextLength: 4096,
    lengthUnit: "chars",
    canEdit: true,
    canTyping: true,
    threads: false,
    format: "plain",
    minEditIntervalMs: 1000,
  };
  private bot: Bot | undefined;
  private me: UserFromGetMe | undefined;
  private polling: Promise<void> | undefined;

  selfId(): BotIdentity | undefined {
    return this.me ? { id: String(this.me.id), name: this.me.username } : undefined;
  }

  /**
   * Checks the token with getMe, then starts long polling in the background. Resolves once getMe succeeded.
   * Throws UserError for a rejected token (401) or an unreachable Bot API server; aborting `signal` stops.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.bot) return;
    const apiRoot = this.config.apiRoot ?? "https://api.telegram.org";
    const probe = new Bot(this.config.token, { client: { apiRoot } });
    try {
      // grammY types its signal with the abort-controller shim; Node's AbortSignal is what it uses at run time.
      this.me = await probe.api.getMe(signal as unknown as Parameters<typeof probe.api.getMe>[0]);
    } catch (err) {
      throw describeStartError(err, apiRoot);
    }
    const bot = new Bot(this.config.token, { client: { apiRoot }, botInfo: this.me });
    bot.api.config.use(apiThrottler());
    // Network errors are not retried here: the core's outbox retries them (the same piece, once delivered).
    bot.api.config.use(
      autoRetry({ maxDelaySeconds: MAX_INLINE_RETRY_S, maxRetryAttempts: 3, rethrowHttpErrors: true }),
    );
    bot.on("message:text", (c) => this.dispatch(c));
    bot.catch((err) => this.ctx.log.error({ err: err.error }, "telegram handler failed"));
    this.bot = bot;
    signal.addEventListener("abort", () => void this.stop(), { once: true });
    this.polling = bot
      .start({ timeout: POLL_TIMEOUT_S, allowed_updates: ["message"], drop_pending_updates: false })
      .then(
        () => this.statusHandler?.("disconnected"),
        (err: unknown) => {
          this.ctx.log.warn({ err: String(err) }, "telegram polling stopped");
          this.bot = undefined;
          this.statusHandler?.("disconnected", err instanceof Error ? err : new Error(String(err)));
        },
      );
    this.statusHandler?.("connected");
  }

  /** Stops polling (confirming received updates to the server) and forgets the bot; idempotent. */
  async stop(): Promise<void> {
    const bot = this.bot;
    this.bot = undefined;
    if (!bot) return;
    await bot.stop().catch(() => undefined);
    await this.polling;
  }

  /**
   * sendMessage; resolves to the Telegram message_id. Throws RateLimitedError (429 with retry_after > 10 s),
   * PermanentSendError (400/403: chat not found, bot blocked, message too long), other errors are transient.
   */
  async send(message: OutboundMessage): Promise<string> {
    const bot = this.requireBot();
    const replyTo = message.replyTo && !message.replyTo.isDirect ? Number(message.replyTo.id) : undefined;
    try {
      const sent = await bot.api.sendMessage(message.chatId, message.text, {
        ...(replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}),
      });
      return String(sent.message_id);
    } catch (err) {
      throw mapSendError(err);
    }
  }

  /** editMessageText; "message is not modified" counts as success. Errors as for `send`. */
  async edit(chatId: string, messageId: string, text: string): Promise<void> {
    const bot = this.requireBot();
    try {
      await bot.api.editMessageText(chatId, Number(messageId), text);
    } catch (err) {
      if (err instanceof GrammyError && err.description.includes("message is not modified")) return;
      throw mapSendError(err);
    }
  }

  /** sendChatAction "typing" (Telegram shows it ~5 s or until the next message). */
  async typing(chatId: string): Promise<void> {
    await this.requireBot()
      .api.sendChatAction(chatId, "typing")
      .catch((err: unknown) => {
        throw mapSendError(err);
      });
  }

  private requireBot(): Bot {
    if (!this.bot) throw new Error(`telegram bridge ${this.id} is not running`);
    return this.bot;
  }

  private async dispatch(c: Context): Promise<void> {
    const msg = c.message;
    if (!msg?.text || !msg.from || !this.handler) return;
    const isDirect = msg.chat.type === "private";
    const username = this.me?.username ?? "";
    const mention = `@${username}`;
    const mentioned =
      (msg.entities ?? []).some(
        (e) =>
          e.type === "mention" &&
          msg.text?.slice(e.offset, e.offset + e.length).toLowerCase() === mention.toLowerCase(),
      ) || msg.reply_to_message?.from?.id === this.me?.id;
    const inbound: InboundMessage = {
      id: String(msg.message_id),
      chatId: String(msg.chat.id),
      senderId: String(msg.from.id),
      senderName: msg.from.username ?? msg.from.first_name,
      isDirect,
      mentionsBot: isDirect || mentioned,
      isBot: msg.from.is_bot,
      text: username ? msg.text.replace(new RegExp(`@${username}\\b`, "gi"), "").trim() : msg.text,
      timestamp: msg.date * 1000,
    };
    await this.handler(inbound);
  }
}

function describeStartError(err: unknown, apiRoot: string): Error {
  if (err instanceof GrammyError && (err.error_code === 401 || err.error_code === 404)) {
    return new UserError("Telegram rejected the bot token (Unauthorized).", {
      fix: "Copy the token again from @BotFather (/mybots → API Token); it looks like 123456789:AA…",
      code: ErrorCode.BRIDGE_BAD_TOKEN,
    });
  }
  if (err instanceof HttpError) {
    return new UserError(`Cannot reach the Telegram Bot API at ${apiRoot}.`, {
      fix: "Check the device's internet connection and DNS, or the apiRoot setting.",
      code: ErrorCode.BRIDGE_UNREACHABLE,
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}

function mapSendError(err: unknown): Error {
  if (err instanceof GrammyError) {
    if (err.error_code === 429)
      return new RateLimitedError((err.parameters.retry_after ?? 1) * 1000, err.description);
    if (err.error_code === 400 || err.error_code === 403) return new PermanentSendError(err.description);
  }
  return err instanceof Error ? err : new Error(String(err));
}
