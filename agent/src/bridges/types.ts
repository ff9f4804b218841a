/**
 * The bridge seam: every messaging platform is a `ChannelAdapter`. An adapter only speaks its platform
 * (connect, receive, send, edit, typing); the core in `agent/src/bridges/` does everything shared —
 * access policy, routing, chunking at `capabilities.maxTextLength`, edit streaming, typing keep-alive,
 * per-chat send queues with rate limits, reconnect with backoff, and the persisted outbox.
 */

/** How the platform renders text; the core formats replies (code, emphasis) accordingly. */
export type TextFormat = "plain" | "markdown" | "html" | "mrkdwn";

/** What a platform can do; the core adapts its behaviour to these. */
export interface ChannelCapabilities {
  /**
   * Largest message the platform accepts, in `lengthUnit`s. Sources: Telegram Bot API sendMessage 4096
   * chars; Discord 2000 chars; Slack chat.postMessage ≤ 4000 chars (recommended); IRC 512-byte line incl.
   * prefix/command, ~350 bytes of text left (RFC 2812 §2.3).
   */
  maxTextLength: number;
  /** Unit of `maxTextLength`: UTF-16 code units ("chars", the JS string length) or UTF-8 bytes (IRC). */
  lengthUnit?: "chars" | "bytes";
  /** The adapter implements `edit` (the core then streams by throttled edits). */
  canEdit: boolean;
  /** The adapter implements `typing` (the core keeps it alive while the model works). */
  canTyping: boolean;
  /** Replies can go into a thread (Slack thread_ts, Matrix m.thread, e-mail References). */
  threads: boolean;
  format: TextFormat;
  /** Minimum gap between two edits of one message, ms (Telegram/Discord ~1 msg/s per chat). Default 1000. */
  minEditIntervalMs?: number;
  /** Minimum gap between two sends to one chat, ms (Telegram: 1 msg/s per chat, FAQ). Default 0. */
  minSendIntervalMs?: number;
  /** Multi-line messages must be sent as separate messages (IRC). Default false. */
  singleLine?: boolean;
}

/** One message received from a platform, already normalised by the adapter. */
export interface InboundMessage {
  /** Platform message id (unique within the chat); used to deduplicate re-delivered updates. */
  id: string;
  /** Chat/room/channel id the reply goes to (for a DM: the DM channel/user). */
  chatId: string;
  /**
   * Stable sender identity, the one allowlists use: Telegram numeric user id, Discord snowflake, Slack `U…`,
   * Matrix `@user:server`, Feishu open_id (or a union_id named in allowFrom), DingTalk staffId, WeCom userid,
   * XMPP bare JID, IRC services/SASL account, e-mail address (DKIM-verified only).
   * Empty string when the platform gives no stable id (e.g. IRC nick without account): such a sender can
   * never be allowlisted or paired.
   */
  senderId: string;
  /** Human-readable name for logs and the pairing list (nick, display name). Never used for access. */
  senderName?: string;
  /** Direct message (one-to-one) rather than a group/channel. */
  isDirect: boolean;
  /** The bot was mentioned (or replied to) in a group; always treated as true in DMs. */
  mentionsBot: boolean;
  /** Sent by a bot/automated system (platform flag, Auto-Submitted mail, …). Ignored by the router. */
  isBot: boolean;
  /** Message text with the bot mention stripped. */
  text: string;
  /** Thread to reply in (Slack thread_ts, e-mail Message-ID for In-Reply-To/References). */
  threadId?: string;
  /** When the platform says it was sent, ms since epoch. */
  timestamp?: number;
  /** Anything the adapter needs back when replying (e-mail subject/References); opaque to the core. */
  extra?: Record<string, string>;
}

/** Where and what to send. */
export interface OutboundMessage {
  chatId: string;
  /** Already within `maxTextLength` (the core chunks before calling `send`). */
  text: string;
  threadId?: string;
  /** The inbound message this answers (for quoting/threading). */
  replyTo?: InboundMessage;
  /**
   * Stable id of this outbound piece (outbox row key). Adapters that can pass an idempotency key / nonce
   * to the platform (Discord nonce, Matrix txnId, e-mail Message-ID) should use it.
   */
  outboxId?: string;
}

/** Handler the core installs; adapters call it for every inbound message, in arrival order per chat. */
export type InboundHandler = (message: InboundMessage) => void | Promise<void>;

/** Bot identity, so the core ignores the bot's own messages. */
export interface BotIdentity {
  /** Same kind of id as `InboundMessage.senderId`. */
  id: string;
  /** Username/nick, for mention detection and display. */
  name?: string;
}

/**
 * An error an adapter throws from `send`/`edit` when the platform asks to slow down (HTTP 429 /
 * Telegram `retry_after` / Slack `Retry-After`). The core's send queue waits `retryAfterMs` and retries.
 */
export class RateLimitedError extends Error {
  constructor(
    readonly retryAfterMs: number,
    message = `rate limited, retry after ${retryAfterMs} ms`,
  ) {
    super(message);
    this.name = "RateLimitedError";
  }
}

/**
 * An error meaning the send can never succeed (chat gone, bot blocked, message too long). The outbox
 * gives up on the row instead of retrying forever.
 */
export class PermanentSendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentSendError";
  }
}

/** Connection state the adapter reports; the core reconnects on `disconnected` and flushes the outbox on `connected`. */
export type AdapterStatus = "connecting" | "connected" | "disconnected";

export interface ChannelAdapter {
  /** Bridge type, e.g. "telegram". */
  readonly type: string;
  /** Bridge id from the config (key of `bridges:`). */
  readonly id: string;
  readonly capabilities: ChannelCapabilities;
  /**
   * Connect and start receiving. Resolves once connected (selfId known); rejects with a `UserError` for
   * bad configuration (bad token, unreachable host, missing intent) or another Error for transient
   * failures (the core retries with backoff). Aborting `signal` stops it like `stop()`.
   */
  start(signal: AbortSignal): Promise<void>;
  /** Disconnect and release sockets/timers; idempotent. */
  stop(): Promise<void>;
  /** Install the inbound handler (called once by the core before `start`). */
  onMessage(handler: InboundHandler): void;
  /**
   * Optional: called by the adapter when the connection drops or comes back after `start` resolved
   * (the core then restarts it with backoff, or flushes the outbox).
   */
  onStatus?(handler: (status: AdapterStatus, error?: Error) => void): void;
  /**
   * Send one message (text ≤ maxTextLength). Resolves with the platform message id (for `edit`).
   * Throws `RateLimitedError` (retry later), `PermanentSendError` (give up), any other Error = transient.
   */
  send(message: OutboundMessage): Promise<string>;
  /** Replace the text of a message this bot sent (only when `capabilities.canEdit`). */
  edit?(chatId: string, messageId: string, text: string): Promise<void>;
  /** Show "typing…" once (platforms expire it after ~5 s; the core repeats). Only when `canTyping`. */
  typing?(chatId: string): Promise<void>;
  /** The bot's own identity; known after `start` resolves. */
  selfId(): BotIdentity | undefined;
  /**
   * Optional: what the owner should know about this connection once `start` resolved, one sentence each
   * with its fix (e.g. an IRC server that attaches no account to senders, so strangers cannot be paired).
   * Shown in the log and on the dashboard's Bridges tab.
   */
  warnings?(): string[];
  /**
   * Optional: the answer for a sender whose message carries no stable identity (senderId ""), saying what
   * they must do to be recognised (identify with services, …). Sent at most once per chat per 10 minutes.
   */
  readonly identityHelp?: string;
}

/** Options every bridge type shares (the `bridges.<id>` keys beyond the type's own). */
export type DmPolicy = "pairing" | "allowlist" | "open" | "disabled";

export interface BridgeCommonConfig {
  type: string;
  /** Who may talk to the bot in direct messages. Default "pairing". */
  dmPolicy: DmPolicy;
  /** Stable sender ids always allowed (see `InboundMessage.senderId`). */
  allowFrom?: string[];
  /** Answer in groups/channels when mentioned. Default true. */
  groups?: boolean;
  /** false = configured but not started. Default true. */
  enabled?: boolean;
  /** Per-sender inbound limit (token bucket). Default burst 10, 20 per minute. */
  rateLimit?: { burst: number; perMinute: number };
  /** System prompt for this bridge's conversations. */
  systemPrompt?: string;
}

/** What an adapter factory receives. */
export interface AdapterContext {
  /** Bridge id (key in `bridges:`). */
  id: string;
  /** pino-compatible logger already bound to the bridge id; never log secrets. */
  log: BridgeLogger;
}

export interface BridgeLogger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
}

/** JSON Schema fragment (draft-07, ajv) for one property. */
export type JsonSchema = Record<string, unknown>;

export interface BridgeDefinition<C extends BridgeCommonConfig = BridgeCommonConfig> {
  /** Value of `type:` in the config, e.g. "telegram". Lowercase, unique. */
  type: string;
  /** One line for docs and the dashboard, e.g. "Telegram bot (grammY, long polling)". */
  description: string;
  /**
   * The type's own keys as JSON Schema properties (besides the common `type`, `dmPolicy`, `allowFrom`,
   * `groups`, `enabled`, which the core adds). Unknown keys are rejected with the bridge id and key.
   */
  properties: Record<string, JsonSchema>;
  /** Required own keys (e.g. ["token"]). */
  required?: string[];
  /** Keys whose values are secrets: redacted in logs and API responses, e.g. ["token", "password"]. */
  secretKeys: string[];
  /** What a stable sender id looks like on this platform, shown in docs/dashboard (e.g. "numeric user id"). */
  senderIdHint?: string;
  /**
   * Build the adapter for one configured bridge. `config` has passed the schema (defaults filled in).
   * Import the platform library inside (dynamic `import()`), not at the top of the definition file.
   * Throws `UserError` for configuration the schema cannot catch.
   */
  create(config: C, ctx: AdapterContext): Promise<ChannelAdapter>;
}

// biome-ignore lint/suspicious/noExplicitAny: each definition narrows its own config type
export type AnyDefinition = BridgeDefinition<any>;
