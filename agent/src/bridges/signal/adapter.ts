import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { AdapterHooks } from "../adapter-hooks.js";
import { type BackoffOptions, backoffDelay, sleep } from "../backoff.js";
import type {
  AdapterContext,
  BotIdentity,
  BridgeCommonConfig,
  ChannelAdapter,
  ChannelCapabilities,
  InboundMessage,
  OutboundMessage,
} from "../types.js";
import { parseSignalEvent, type SignalSelf } from "./envelope.js";
import { mapSignalSendError, RPC_METHOD_NOT_FOUND, SignalRpcClient, SignalRpcError } from "./signal-rpc.js";
import { SseParser } from "./sse-parser.js";

/** `bridges.<id>` for `type: signal`. */
export interface SignalBridgeConfig extends BridgeCommonConfig {
  type: "signal";
  /** Base URL of `signal-cli daemon --http`, no trailing slash. Default http://127.0.0.1:8080. */
  url?: string;
  /** The bot's Signal account, E.164 (e.g. +4915112345678), registered or linked in signal-cli. */
  account: string;
  /**
   * Stream replies by editing the message (`send` with `editTimestamp`). Default false: Signal clients
   * accept only a limited number of edits per message (Signal support: "up to 10 times within 24 hours"),
   * so a long streamed reply would lose its last edits; without it the reply comes as one message at the end.
   */
  streamEdits?: boolean;
}

/**
 * Last handled event id per bridge (`<id> <url> <account>`), kept beyond one adapter instance: when the
 * runner rebuilds the adapter after an outage, the new stream resumes where the old one stopped (signal-cli
 * keeps its last 1000 events). In memory only: after a restart of clawbox the kept events are replayed and
 * the core's persisted inbound dedup drops those already answered.
 */
const resumeIds = new Map<string, string>();

/** Reopen attempts of a lost event stream before the runner is told (it then shows the outage and retries). */
const INLINE_REOPENS = 3;

export interface SignalAdapterOptions {
  /** Delays between SSE reconnects (the core's backoff; default base 1 s, max 60 s). */
  backoff?: BackoffOptions;
}

/**
 * Signal through signal-cli's JSON-RPC HTTP daemon (man signal-cli-jsonrpc(5)): inbound from the SSE stream
 * `GET /api/v1/events` (reconnected with the core's backoff, resuming with `Last-Event-ID`, which signal-cli
 * honours for its last 1000 events), outbound with `send`/`sendTyping` on `POST /api/v1/rpc`.
 * Sender ids are ACI UUIDs (`sourceUuid`); a sender whose E.164 number is listed in `allowFrom` gets the
 * number as id instead, so allowlists may use either. Replies are plain text, ≤ 2000 UTF-8 bytes each.
 */
export class SignalAdapter extends AdapterHooks<SignalBridgeConfig> implements ChannelAdapter {
  readonly type = "signal";
  /**
   * maxTextLength: Signal clients send a body above 2 KiB as a "long text" attachment (Signal-Android
   * `MessageUtil.MAX_INLINE_BODY_SIZE_BYTES = 2 KiB`; Signal-Desktop `LONG_ATTACHMENT_LIMIT = 2048` bytes);
   * signal-cli sends the body inline, so pieces stay at 2000 bytes, under what every client shows in full.
   * minEditIntervalMs: chosen (each edit is a full message to every recipient device; see `streamEdits`).
   */
  readonly capabilities: ChannelCapabilities;
  private readonly rpc: SignalRpcClient;
  private readonly baseUrl: string;
  private self: SignalSelf | undefined;
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private readonly resumeKey: string;
  private readonly chats = new Map<string, Promise<void>>();

  constructor(
    config: SignalBridgeConfig,
    ctx: AdapterContext,
    private readonly opts: SignalAdapterOptions = {},
  ) {
    super(config, ctx);
    this.baseUrl = (config.url ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
    this.rpc = new SignalRpcClient(this.baseUrl, config.account);
    this.resumeKey = `${ctx.id} ${this.baseUrl} ${config.account}`;
    this.capabilities = {
      maxTextLength: 2000,
      lengthUnit: "bytes",
      canEdit: config.streamEdits === true,
      canTyping: true,
      threads: false,
      format: "plain",
      minEditIntervalMs: 3000,
    };
  }

  selfId(): BotIdentity | undefined {
    return this.self ? { id: this.self.aci ?? this.self.number, name: this.self.number } : undefined;
  }

  /**
   * Checks the daemon (`GET /api/v1/check`) and the account (`listAccounts` on a multi-account daemon; a
   * single-account daemon only runs for a registered account), then opens the event stream. Resolves once
   * the stream is open. Throws UserError `bridge_unreachable` (daemon down / not signal-cli) or
   * `bridge_not_registered` (account unknown to the daemon); other errors are transient.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.controller) return;
    await this.checkDaemon(signal);
    this.self = await this.checkAccount(signal);
    const controller = new AbortController();
    this.controller = controller;
    signal.addEventListener("abort", () => void this.stop(), { once: true });
    const first = await this.openStream(controller.signal).catch((err: unknown) => {
      this.controller = undefined;
      throw err;
    });
    this.loop = this.readLoop(first, controller.signal);
    this.statusHandler?.("connected");
  }

  /** Closes the event stream and stops reconnecting; idempotent. */
  async stop(): Promise<void> {
    const controller = this.controller;
    this.controller = undefined;
    if (!controller) return;
    controller.abort(new Error("signal bridge stopped"));
    await this.loop;
  }

  /** `send`; resolves to the message timestamp (Signal's message id). Errors: see `mapSignalSendError`. */
  async send(message: OutboundMessage): Promise<string> {
    try {
      const result = await this.rpc.call<{ timestamp?: number }>("send", {
        ...target(message.chatId),
        message: message.text,
      });
      return String(result?.timestamp ?? "");
    } catch (err) {
      throw mapSignalSendError(err);
    }
  }

  /** `send` with `editTimestamp` = the original message's timestamp (only with `streamEdits`). */
  async edit(chatId: string, messageId: string, text: string): Promise<void> {
    try {
      await this.rpc.call("send", { ...target(chatId), message: text, editTimestamp: Number(messageId) });
    } catch (err) {
      throw mapSignalSendError(err);
    }
  }

  /** `sendTyping` (Signal clients show it ~15 s; the core repeats it every 4 s). */
  async typing(chatId: string): Promise<void> {
    try {
      await this.rpc.call("sendTyping", target(chatId));
    } catch (err) {
      throw mapSignalSendError(err);
    }
  }

  private async checkDaemon(signal: AbortSignal): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/api/v1/check`, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
      });
    } catch {
      throw new UserError(`Cannot reach the signal-cli daemon at ${this.baseUrl}.`, {
        fix: `Start it with \`signal-cli -a ${this.config.account} daemon --http 127.0.0.1:8080\` (signal-cli needs Java 21), or correct the url setting.`,
        code: ErrorCode.BRIDGE_UNREACHABLE,
      });
    }
    await res.body?.cancel();
    if (res.status !== 200) {
      throw new UserError(
        `${this.baseUrl} is not a signal-cli HTTP daemon (GET /api/v1/check answered HTTP ${res.status}).`,
        {
          fix: "Point url at `signal-cli daemon --http HOST:PORT`; the HTTP daemon answers /api/v1/check.",
          code: ErrorCode.BRIDGE_UNREACHABLE,
        },
      );
    }
  }

  private async checkAccount(signal: AbortSignal): Promise<SignalSelf> {
    const { account } = this.config;
    let accounts: { number?: string | null; aci?: string | null; uuid?: string | null }[];
    try {
      accounts = await this.rpc.call("listAccounts", {}, { withAccount: false, signal });
    } catch (err) {
      // A single-account daemon (`-a +NUMBER daemon`) has no listAccounts; it refuses to start unregistered.
      if (err instanceof SignalRpcError && err.code === RPC_METHOD_NOT_FOUND) return { number: account };
      throw err;
    }
    const mine = Array.isArray(accounts) ? accounts.find((a) => a.number === account) : undefined;
    if (!mine) {
      throw new UserError(`The Signal account ${account} is not registered with the signal-cli daemon.`, {
        fix: `Register it (\`signal-cli -a ${account} register\`, then \`verify CODE\`) or link it to your phone (\`signal-cli link\`), then restart the daemon.`,
        code: ErrorCode.BRIDGE_NOT_REGISTERED,
      });
    }
    return { number: account, aci: mine.aci ?? mine.uuid ?? undefined };
  }

  /** Opens `GET /api/v1/events` (resuming after the last handled event); resolves with the open response. */
  private async openStream(signal: AbortSignal): Promise<Response> {
    const res = await fetch(`${this.baseUrl}/api/v1/events`, {
      headers: {
        accept: "text/event-stream",
        ...(resumeIds.has(this.resumeKey) ? { "last-event-id": resumeIds.get(this.resumeKey) } : {}),
      },
      signal,
    });
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      throw new Error(`signal-cli event stream answered HTTP ${res.status}`);
    }
    return res;
  }

  /**
   * Reads the stream; when it ends or fails, reopens it after the core's backoff. After INLINE_REOPENS
   * failed reopens it reports `disconnected` and ends: the runner then shows the outage (e.g. "Cannot
   * reach the signal-cli daemon") and reconnects with its own backoff through a new adapter.
   */
  private async readLoop(first: Response, signal: AbortSignal): Promise<void> {
    let res: Response | undefined = first;
    let failures = 0;
    let lastError = "stream ended";
    while (!signal.aborted) {
      try {
        if (!res) {
          res = await this.openStream(signal);
          failures = 0;
          this.ctx.log.info({ bridge: this.id }, "signal event stream reconnected");
          this.statusHandler?.("connected");
        }
        await this.consume(res, signal);
        lastError = "the event stream ended";
      } catch (err) {
        if (signal.aborted) break;
        lastError = (err as Error).message;
      }
      if (signal.aborted) break;
      this.ctx.log.warn({ bridge: this.id, err: lastError }, "signal event stream lost");
      res = undefined;
      if (failures >= INLINE_REOPENS) {
        this.statusHandler?.("disconnected", new Error(`signal-cli event stream lost: ${lastError}`));
        return;
      }
      await sleep(backoffDelay(failures++, this.opts.backoff), signal).catch(() => {});
    }
  }

  private async consume(res: Response, signal: AbortSignal): Promise<void> {
    const decoder = new TextDecoder();
    const parser = new SseParser((event) => {
      const inbound = parseSignalEvent(event, this.config, this.self);
      if (inbound) this.dispatch(inbound);
      // Only a wired adapter advances the resume point (a "test connection" probe handles nothing).
      if (event.id !== undefined && this.handler) resumeIds.set(this.resumeKey, event.id);
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const onAbort = () => void reader.cancel().catch(() => {});
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.push(decoder.decode(value, { stream: true }));
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Hands messages to the core in arrival order per chat, without holding up the stream. */
  private dispatch(inbound: InboundMessage): void {
    const previous = this.chats.get(inbound.chatId) ?? Promise.resolve();
    const next = previous
      .then(() => this.handler?.(inbound))
      .catch((err: unknown) => this.ctx.log.error({ err: String(err) }, "signal inbound handler failed"));
    this.chats.set(inbound.chatId, next);
    void next.then(() => {
      if (this.chats.get(inbound.chatId) === next) this.chats.delete(inbound.chatId);
    });
  }
}

/** JSON-RPC recipient params of a chat id: `group:<base64 id>` → groupId, else a UUID or E.164 recipient. */
function target(chatId: string): Record<string, unknown> {
  return chatId.startsWith("group:") ? { groupId: chatId.slice(6) } : { recipient: [chatId] };
}
