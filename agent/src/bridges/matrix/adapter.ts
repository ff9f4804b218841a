import {
  ClientEvent,
  createClient,
  type MatrixClient,
  MatrixError,
  type MatrixEvent,
  MatrixScheduler,
  type Room,
  RoomEvent,
  SyncState,
} from "matrix-js-sdk";
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
import { matrixLogger, quietMatrixRootLogger } from "./logger.js";

/** `bridges.<id>` for `type: matrix`. */
export interface MatrixBridgeConfig extends BridgeCommonConfig {
  type: "matrix";
  /** Client-server API base, e.g. https://matrix.example.org. */
  homeserverUrl: string;
  /** The bot's Matrix user id, e.g. @clawbox:example.org. */
  userId: string;
  /** Access token (preferred). A secret. */
  accessToken?: string;
  /** Password, used to log in when no access token is given. A secret. */
  password?: string;
}

/** Typing notice lifetime sent to the server, ms; the core refreshes it (spec: `timeout` of PUT …/typing). */
const TYPING_TIMEOUT_MS = 10_000;
/**
 * Longest rate-limit wait (ms) the SDK's scheduler may sleep inside one send; a longer `retry_after_ms`
 * becomes a RateLimitedError so the core's outbox waits instead. Chosen, not measured.
 */
const MAX_INLINE_RETRY_MS = 10_000;
/** /sync long-poll timeout, ms (matrix-js-sdk default 30000). */
const POLL_TIMEOUT_MS = 30_000;

/**
 * Matrix bridge over matrix-js-sdk 37.5 (/sync long polling). Unencrypted rooms only (no E2EE set up).
 * Sends use the outbox id as the transaction id, which the spec makes idempotent per access token, so a
 * retried send never posts twice. Edits are `m.replace` relations. Sender ids are Matrix user ids.
 */
export class MatrixAdapter extends AdapterHooks<MatrixBridgeConfig> implements ChannelAdapter {
  readonly type = "matrix";
  /** Matrix has no hard text limit besides the 65,536-byte event size (spec "Size limits"); 16,000 chars is a chosen, readable bound well under it. */
  readonly capabilities: ChannelCapabilities = {
    maxTextLength: 16_000,
    lengthUnit: "chars",
    canEdit: true,
    canTyping: true,
    threads: false,
    format: "markdown",
    minEditIntervalMs: 1000,
  };
  private client: MatrixClient | undefined;
  private me: BotIdentity | undefined;
  private txnCounter = 0;

  selfId(): BotIdentity | undefined {
    return this.me;
  }

  /**
   * Logs in with the password if no access token is configured, checks the token with whoami, then starts
   * /sync and resolves after the first sync (PREPARED). Only events arriving after that are delivered.
   * The SDK retries /sync by itself after network errors, keeping its `since` token.
   * Throws UserError: bad token/password, unreachable homeserver.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.client) return;
    quietMatrixRootLogger();
    const logger = matrixLogger(this.ctx.log);
    let accessToken = this.config.accessToken;
    let deviceId: string | undefined;
    try {
      if (!accessToken) {
        if (!this.config.password) throw noCredentials();
        const anon = createClient({ baseUrl: this.config.homeserverUrl, logger });
        const login = await anon.loginRequest({
          type: "m.login.password",
          identifier: { type: "m.id.user", user: this.config.userId },
          password: this.config.password,
          initial_device_display_name: "clawbox",
        });
        accessToken = login.access_token;
        deviceId = login.device_id;
      }
      // The SDK's default scheduler retries 429s (≤ 4 times, honouring retry_after_ms); cap its wait.
      const scheduler = new MatrixScheduler((event, attempts, err) => {
        const ms = MatrixScheduler.RETRY_BACKOFF_RATELIMIT(event, attempts, err);
        return ms > MAX_INLINE_RETRY_MS ? -1 : ms;
      });
      const client = createClient({
        baseUrl: this.config.homeserverUrl,
        accessToken,
        scheduler,
        userId: this.config.userId,
        ...(deviceId ? { deviceId } : {}),
        logger,
      });
      const who = await client.whoami();
      this.me = { id: who.user_id, name: who.user_id.slice(1).split(":")[0] };
      this.client = client;
      signal.addEventListener("abort", () => void this.stop(), { once: true });
      await this.startSync(client);
    } catch (err) {
      await this.stop();
      throw describeStartError(err, this.config.homeserverUrl);
    }
    this.statusHandler?.("connected");
  }

  /** Stops syncing; idempotent. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    client?.stopClient();
  }

  /**
   * PUT rooms/{chatId}/send/m.room.message/{txnId}, txnId = outbox id (or a fresh one). Resolves to the
   * event id. Throws RateLimitedError (M_LIMIT_EXCEEDED, retry_after_ms), PermanentSendError (403 not in room,
   * 413 too large, 404), other errors transient.
   */
  async send(message: OutboundMessage): Promise<string> {
    const txnId = message.outboxId ?? this.freshTxnId();
    try {
      const res = await this.requireClient().sendEvent(
        message.chatId,
        "m.room.message" as never,
        { msgtype: "m.text", body: message.text } as never,
        txnId,
      );
      return res.event_id;
    } catch (err) {
      throw mapSendError(err);
    }
  }

  /** Sends an `m.replace` edit of `messageId` (body "* text" for clients without edit support). */
  async edit(chatId: string, messageId: string, text: string): Promise<void> {
    const content = {
      msgtype: "m.text",
      body: `* ${text}`,
      "m.new_content": { msgtype: "m.text", body: text },
      "m.relates_to": { rel_type: "m.replace", event_id: messageId },
    };
    try {
      await this.requireClient().sendEvent(
        chatId,
        "m.room.message" as never,
        content as never,
        this.freshTxnId(),
      );
    } catch (err) {
      throw mapSendError(err);
    }
  }

  /** PUT rooms/{chatId}/typing/{userId} with typing=true for 10 s. */
  async typing(chatId: string): Promise<void> {
    await this.requireClient()
      .sendTyping(chatId, true, TYPING_TIMEOUT_MS)
      .catch((err: unknown) => {
        throw mapSendError(err);
      });
  }

  private freshTxnId(): string {
    this.txnCounter += 1;
    return `clawbox.${Date.now()}.${this.txnCounter}`;
  }

  private requireClient(): MatrixClient {
    if (!this.client) throw new Error(`matrix bridge ${this.id} is not running`);
    return this.client;
  }

  private startSync(client: MatrixClient): Promise<void> {
    let prepared = false;
    client.on(RoomEvent.Timeline, (event, room, toStartOfTimeline, _removed, data) => {
      if (!prepared || toStartOfTimeline || !data.liveEvent || !room) return;
      void this.dispatch(event, room);
    });
    return new Promise<void>((resolve, reject) => {
      client.on(ClientEvent.Sync, (state, _prev, data) => {
        if (state === SyncState.Prepared) {
          prepared = true;
          resolve();
        } else if (state === SyncState.Error) {
          const err = data?.error ?? new Error("matrix sync failed");
          if (!prepared) reject(err);
          else this.statusHandler?.("disconnected", err);
        } else if (state === SyncState.Syncing && prepared) {
          this.statusHandler?.("connected");
        }
      });
      void client.startClient({ initialSyncLimit: 0, pollTimeout: POLL_TIMEOUT_MS });
    });
  }

  private async dispatch(event: MatrixEvent, room: Room): Promise<void> {
    if (!this.handler || !this.me || event.getType() !== "m.room.message") return;
    const content = event.getContent();
    if (content["m.relates_to"]?.rel_type === "m.replace") return; // edits of earlier messages
    if (typeof content.body !== "string") return;
    const sender = event.getSender() ?? "";
    const isDirect = room.getJoinedMemberCount() === 2;
    const localpart = this.me.name ?? "";
    const mentionIds: unknown = content["m.mentions"]?.user_ids;
    const mentioned =
      (Array.isArray(mentionIds) && mentionIds.includes(this.me.id)) ||
      content.body.includes(this.me.id) ||
      (localpart !== "" && new RegExp(`(^|\\W)${localpart}\\b`, "i").test(content.body));
    const inbound: InboundMessage = {
      id: event.getId() ?? "",
      chatId: room.roomId,
      senderId: sender,
      senderName: room.getMember(sender)?.name ?? sender,
      isDirect,
      mentionsBot: isDirect || mentioned,
      isBot: sender === this.me.id,
      text: content.body
        .split(this.me.id)
        .join("")
        .replace(/^\s*[:,]\s*/, "")
        .trim(),
      timestamp: event.getTs(),
    };
    try {
      await this.handler(inbound);
    } catch (err) {
      this.ctx.log.error({ err: String(err) }, "matrix inbound handler failed");
    }
  }
}

function noCredentials(): UserError {
  return new UserError("The Matrix bridge needs an accessToken or a password.", {
    fix: "Add accessToken (Element: Settings → Help & About → Access Token) or password to the bridge's settings.",
    code: ErrorCode.BRIDGE_BAD_CONFIG,
  });
}

function describeStartError(err: unknown, homeserverUrl: string): Error {
  if (err instanceof UserError) return err;
  if (err instanceof MatrixError) {
    if (err.errcode === "M_UNKNOWN_TOKEN" || err.errcode === "M_MISSING_TOKEN") {
      return new UserError("The Matrix homeserver rejected the access token.", {
        fix: "Create a new access token for the bot account (or log in again) and paste it.",
        code: ErrorCode.BRIDGE_BAD_TOKEN,
      });
    }
    if (err.errcode === "M_FORBIDDEN") {
      return new UserError("The Matrix homeserver rejected the user id or password.", {
        fix: "Check userId (@name:server) and password of the bot account.",
        code: ErrorCode.BRIDGE_BAD_TOKEN,
      });
    }
  }
  const text = String((err as Error)?.message ?? err);
  if (
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|fetch failed|ConnectionError/i.test(text) ||
    (err as Error)?.name === "ConnectionError"
  ) {
    return new UserError(`Cannot reach the Matrix homeserver at ${homeserverUrl}.`, {
      fix: "Check homeserverUrl (the client API base, e.g. https://matrix.example.org) and the device's network.",
      code: ErrorCode.BRIDGE_UNREACHABLE,
    });
  }
  return err instanceof Error ? err : new Error(text);
}

function mapSendError(err: unknown): Error {
  if (err instanceof MatrixError) {
    if (err.errcode === "M_LIMIT_EXCEEDED" || err.httpStatus === 429) {
      const ms = Number((err.data as { retry_after_ms?: number }).retry_after_ms ?? 1000);
      return new RateLimitedError(ms, "matrix rate limit");
    }
    if (err.httpStatus && err.httpStatus >= 400 && err.httpStatus < 500) {
      return new PermanentSendError(`matrix: ${err.errcode ?? err.httpStatus} ${err.message}`);
    }
  }
  return err instanceof Error ? err : new Error(String(err));
}
