import { createHash } from "node:crypto";
import {
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  type Message,
  Partials,
  RateLimitError,
  RESTJSONErrorCodes,
  Routes,
} from "discord.js";
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

/** `bridges.<id>` for `type: discord`. */
export interface DiscordBridgeConfig extends BridgeCommonConfig {
  type: "discord";
  /** Bot token from the Developer Portal (Bot → Reset Token). A secret. */
  token: string;
  /** REST base without version, default https://discord.com/api (the gateway URL comes from GET /gateway/bot). */
  apiBase?: string;
}

/** Longest rate-limit wait (ms) @discordjs/rest may sleep inside one call; longer ones go to the core. Chosen. */
const MAX_INLINE_RETRY_MS = 10_000;
/** Discord's documented maximum length of a message nonce, characters (Create Message: "nonce … up to 25"). */
const NONCE_MAX = 25;
/** Gateway close code for privileged intents not enabled in the portal (docs: Gateway close event codes). */
const DISALLOWED_INTENTS = 4014;

/**
 * Discord bridge over discord.js 14 (gateway for inbound, REST for outbound). Needs the privileged
 * MessageContent intent enabled (Developer Portal → Bot → Privileged Gateway Intents). Sends use the outbox id
 * as `nonce` with `enforce_nonce`, so a retried send after a lost response does not post twice.
 * Sender ids are Discord user snowflakes.
 */
export class DiscordAdapter extends AdapterHooks<DiscordBridgeConfig> implements ChannelAdapter {
  readonly type = "discord";
  /** Source: Discord API docs, Create Message `content` "up to 2000 characters"; ~5 edits/5 s per channel. */
  readonly capabilities: ChannelCapabilities = {
    maxTextLength: 2000,
    lengthUnit: "chars",
    canEdit: true,
    canTyping: true,
    threads: false,
    format: "markdown",
    minEditIntervalMs: 1000,
  };
  private client: Client | undefined;
  private me: BotIdentity | undefined;

  selfId(): BotIdentity | undefined {
    return this.me;
  }

  /**
   * Logs in (GET /gateway/bot, then gateway IDENTIFY → READY); resolves when ready. discord.js resumes or
   * re-identifies by itself after a drop. Throws UserError: bad token, missing MessageContent intent,
   * unreachable Discord. Aborting `signal` stops.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.client) return;
    const client = new Client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.DirectMessages,
        GatewayIntentBits.MessageContent,
      ],
      // DM channels are not cached before their first message; without this, DMs are dropped.
      partials: [Partials.Channel],
      rest: {
        ...(this.config.apiBase ? { api: this.config.apiBase } : {}),
        rejectOnRateLimit: (data) => data.retryAfter > MAX_INLINE_RETRY_MS,
      },
    });
    this.client = client;
    client.on(Events.MessageCreate, (m) => void this.dispatch(m));
    client.on(Events.ShardResume, () => this.statusHandler?.("connected"));
    client.on(Events.ShardReconnecting, () => this.statusHandler?.("connecting"));
    client.on(Events.Error, (err) => this.ctx.log.warn({ err: err.message }, "discord client error"));
    signal.addEventListener("abort", () => void this.stop(), { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once(Events.ClientReady, () => resolve());
        client.on(Events.ShardDisconnect, (event) => {
          const err =
            event.code === DISALLOWED_INTENTS ? missingIntent() : new Error(`gateway closed (${event.code})`);
          reject(err);
          this.statusHandler?.("disconnected", err);
        });
        client.login(this.config.token).catch(reject);
      });
    } catch (err) {
      await this.stop();
      throw describeStartError(err);
    }
    const user = client.user;
    this.me = user ? { id: user.id, name: user.username } : undefined;
    this.statusHandler?.("connected");
  }

  /** Destroys the client (closes the gateway, cancels REST queues); idempotent. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.destroy();
  }

  /**
   * POST /channels/{chatId}/messages with `nonce` = outbox id (hashed to ≤ 25 chars) and `enforce_nonce`.
   * Resolves to the message snowflake. Throws RateLimitedError (wait > 10 s), PermanentSendError (4xx:
   * unknown channel, missing access, too long), other errors transient.
   */
  async send(message: OutboundMessage): Promise<string> {
    const client = this.requireClient();
    const nonce = message.outboxId ? toNonce(message.outboxId) : undefined;
    const replyTo = message.replyTo && !message.replyTo.isDirect ? message.replyTo.id : undefined;
    try {
      const sent = (await client.rest.post(Routes.channelMessages(message.chatId), {
        body: {
          content: message.text,
          ...(nonce ? { nonce, enforce_nonce: true } : {}),
          ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
          allowed_mentions: { parse: [] },
        },
      })) as { id: string };
      return sent.id;
    } catch (err) {
      throw mapSendError(err);
    }
  }

  /** PATCH /channels/{chatId}/messages/{messageId}. Errors as for `send`. */
  async edit(chatId: string, messageId: string, text: string): Promise<void> {
    try {
      await this.requireClient().rest.patch(Routes.channelMessage(chatId, messageId), {
        body: { content: text },
      });
    } catch (err) {
      throw mapSendError(err);
    }
  }

  /** POST /channels/{chatId}/typing (shown ~10 s or until the bot's next message). */
  async typing(chatId: string): Promise<void> {
    try {
      await this.requireClient().rest.post(Routes.channelTyping(chatId));
    } catch (err) {
      throw mapSendError(err);
    }
  }

  private requireClient(): Client {
    if (!this.client) throw new Error(`discord bridge ${this.id} is not running`);
    return this.client;
  }

  private async dispatch(m: Message): Promise<void> {
    if (!this.handler || !this.me) return;
    const isDirect = !m.guildId;
    const mentioned = m.mentions.users.has(this.me.id);
    const inbound: InboundMessage = {
      id: m.id,
      chatId: m.channelId,
      senderId: m.author.id,
      senderName: m.author.username,
      isDirect,
      mentionsBot: isDirect || mentioned,
      isBot: m.author.bot || m.author.id === this.me.id,
      text: m.content.replace(new RegExp(`<@!?${this.me.id}>`, "g"), "").trim(),
      timestamp: m.createdTimestamp,
    };
    try {
      await this.handler(inbound);
    } catch (err) {
      this.ctx.log.error({ err: String(err) }, "discord inbound handler failed");
    }
  }
}

/** Discord nonces are ≤ 25 chars; longer outbox ids are hashed (sha256, base64url, first 25). */
function toNonce(outboxId: string): string {
  if (outboxId.length <= NONCE_MAX) return outboxId;
  return createHash("sha256").update(outboxId).digest("base64url").slice(0, NONCE_MAX);
}

function missingIntent(): UserError {
  return new UserError("Discord refused the Message Content intent for this bot (gateway close 4014).", {
    fix: "In the Discord Developer Portal open your application → Bot → Privileged Gateway Intents and enable MESSAGE CONTENT INTENT, then save.",
    code: ErrorCode.BRIDGE_MISSING_INTENT,
  });
}

function describeStartError(err: unknown): Error {
  if (err instanceof UserError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === "TokenInvalid" || (err instanceof DiscordAPIError && err.status === 401)) {
    return new UserError("Discord rejected the bot token.", {
      fix: "In the Developer Portal open your application → Bot → Reset Token, and paste the new token.",
      code: ErrorCode.BRIDGE_BAD_TOKEN,
    });
  }
  if (code === "DisallowedIntents") return missingIntent();
  const text = String((err as Error)?.message ?? err);
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|fetch failed|ETIMEDOUT/.test(text) || code === "ECONNREFUSED") {
    return new UserError("Cannot reach Discord.", {
      fix: "Check the device's internet connection and DNS (discord.com and gateway.discord.gg must be reachable).",
      code: ErrorCode.BRIDGE_UNREACHABLE,
    });
  }
  return err instanceof Error ? err : new Error(text);
}

function mapSendError(err: unknown): Error {
  if (err instanceof RateLimitError) return new RateLimitedError(err.retryAfter, "discord rate limit");
  if (err instanceof DiscordAPIError) {
    if (err.status === 429) return new RateLimitedError(1000, err.message);
    if (err.status >= 400 && err.status < 500) {
      const hint = err.code === RESTJSONErrorCodes.InvalidFormBodyOrContentType ? " (message too long?)" : "";
      return new PermanentSendError(`${err.message}${hint}`);
    }
  }
  return err instanceof Error ? err : new Error(String(err));
}
