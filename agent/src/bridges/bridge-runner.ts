import type { Database } from "better-sqlite3";
import { UserError } from "../errors.js";
import type { InferenceService } from "../inference/types.js";
import { AccessPolicy } from "../pairing/access-policy.js";
import { PairingStore } from "../pairing/pairing-store.js";
import type { ConversationStore } from "../store/conversation-store.js";
import { type BackoffOptions, backoffDelay, sleep } from "./backoff.js";
import type { ChatCommands } from "./chat-commands.js";
import { InboundDedup } from "./inbound-dedup.js";
import type { OutboxEntry } from "./outbox.js";
import { Outbox } from "./outbox.js";
import { ReplySender } from "./reply-sender.js";
import { BridgeRouter } from "./router.js";
import { SendQueue } from "./send-queue.js";
import type { AdapterStatus, BridgeCommonConfig, BridgeLogger, ChannelAdapter } from "./types.js";

export interface BridgeRunnerOptions {
  id: string;
  config: BridgeCommonConfig;
  /** Builds a fresh adapter for each connection attempt (registry definition's `create`). */
  createAdapter: () => Promise<ChannelAdapter>;
  db: Database;
  inference: InferenceService;
  conversations: ConversationStore;
  log: BridgeLogger;
  systemPrompt?: string;
  backoff?: BackoffOptions;
  /** Re-try pending outbox pieces this often while connected, ms. Default 30 000. */
  flushIntervalMs?: number;
  /** Chat commands a feature adds (reminders). */
  commands?: ChatCommands;
  /** Called after every (re)connect, once the outbox flush started (reminders due while down go out). */
  onConnected?: (bridgeId: string) => void;
}

export type BridgeState = "starting" | "connected" | "reconnecting" | "error" | "stopped";

export interface BridgeStatus {
  id: string;
  type: string;
  state: BridgeState;
  /** Failed connection attempts in a row. */
  failures: number;
  /** Last connection error, without secrets (adapters must not put tokens in error messages). */
  lastError?: string;
  /** Fix of the last error when it was a UserError (bad token, unreachable host, missing intent). */
  fix?: string;
  /** What the owner should know about the live connection (ChannelAdapter.warnings), with the fix. */
  warnings?: string[];
  connectedAt?: string;
}

/**
 * Runs one bridge: connects its adapter, routes its messages, delivers the outbox after every (re)connect
 * and periodically, and reconnects with exponential backoff + jitter when the adapter fails to start or
 * reports `disconnected`. Each attempt gets a new adapter instance.
 */
export class BridgeRunner {
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;
  private current: ChannelAdapter | undefined;
  private readonly state: BridgeStatus;
  readonly outbox: Outbox;
  readonly pairing: PairingStore;
  private readonly dedup: InboundDedup;

  constructor(private readonly opts: BridgeRunnerOptions) {
    this.outbox = new Outbox(opts.db);
    this.pairing = new PairingStore(opts.db);
    this.dedup = new InboundDedup(opts.db);
    this.state = { id: opts.id, type: opts.config.type, state: "starting", failures: 0 };
  }

  status(): BridgeStatus {
    return { ...this.state };
  }

  /** The connected adapter, if any (tests, dashboard). */
  adapter(): ChannelAdapter | undefined {
    return this.current;
  }

  /** Starts the connect/reconnect loop in the background. */
  start(): void {
    this.loop ??= this.run().catch((err) => {
      this.opts.log.error({ err: err instanceof Error ? err.message : String(err) }, "bridge loop ended");
    });
  }

  /** Stops the bridge and waits for its adapter to disconnect; idempotent. */
  async stop(): Promise<void> {
    this.controller.abort(new Error("bridge stopped"));
    await this.loop;
    this.state.state = "stopped";
  }

  private wiring: { sender: ReplySender; router: BridgeRouter } | undefined;

  /**
   * Stores a message the agent starts itself (a reminder) in this bridge's outbox, chunked at the
   * platform limit, synchronously so the caller can claim its own row in the same transaction. `key` is
   * deterministic (storing it twice keeps one copy). Returns null before the first connection (the
   * platform limits are not known yet): try again after `onConnected`.
   */
  storeOutbound(
    key: string,
    target: { chatId: string; threadId?: string },
    text: string,
  ): OutboxEntry[] | null {
    return this.wiring ? this.wiring.sender.store(key, target, text) : null;
  }

  /** Sends pieces stored by `storeOutbound`; what cannot go now stays pending for the next flush. */
  async sendOutbound(entries: OutboxEntry[]): Promise<void> {
    if (this.current) await this.wiring?.sender.sendStored(entries);
  }

  /**
   * Router, reply sender and send queue live as long as the runner (not one connection), talking to the
   * current adapter through a proxy: a reply generated while the connection was down goes to the outbox
   * and is delivered after the reconnect, instead of being lost with the old connection.
   */
  private pipeline(first: ChannelAdapter): { sender: ReplySender; router: BridgeRouter } {
    const current = () => {
      if (!this.current) throw new Error(`bridge ${this.opts.id} is not connected`);
      return this.current;
    };
    const proxy: ChannelAdapter = {
      type: first.type,
      id: first.id,
      capabilities: first.capabilities,
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      onMessage: () => {},
      send: (m) => current().send(m),
      edit: first.edit
        ? (chatId, messageId, text) => current().edit?.(chatId, messageId, text) ?? Promise.resolve()
        : undefined,
      typing: first.typing ? (chatId) => this.current?.typing?.(chatId) ?? Promise.resolve() : undefined,
      selfId: () => (this.current ?? first).selfId(),
    };
    if (!this.wiring) {
      const { log } = this.opts;
      const queue = new SendQueue({ minIntervalMs: first.capabilities.minSendIntervalMs });
      const sender = new ReplySender({
        bridgeId: this.opts.id,
        adapter: proxy,
        outbox: this.outbox,
        queue,
        log,
      });
      const router = new BridgeRouter({
        bridgeId: this.opts.id,
        adapter: proxy,
        policy: new AccessPolicy({
          bridgeId: this.opts.id,
          dmPolicy: this.opts.config.dmPolicy ?? "pairing",
          allowFrom: this.opts.config.allowFrom,
          groups: this.opts.config.groups,
          pairing: this.pairing,
          selfId: () => proxy.selfId(),
          identityHelp: first.identityHelp,
        }),
        inference: this.opts.inference,
        conversations: this.opts.conversations,
        dedup: this.dedup,
        sender,
        queue,
        log,
        systemPrompt: this.opts.config.systemPrompt ?? this.opts.systemPrompt,
        signal: this.controller.signal,
        atomic: (fn) => this.opts.db.transaction(fn)(),
        senderBurst: this.opts.config.rateLimit?.burst,
        senderRefillMs: this.opts.config.rateLimit
          ? 60_000 / this.opts.config.rateLimit.perMinute
          : undefined,
        commands: this.opts.commands,
      });
      this.wiring = { sender, router };
    }
    const wiring = this.wiring;
    first.onMessage((m) => wiring.router.handle(m));
    return wiring;
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    const { log } = this.opts;
    while (!signal.aborted) {
      const attempt = new AbortController();
      const onStop = () => attempt.abort(signal.reason);
      signal.addEventListener("abort", onStop, { once: true });
      let adapter: ChannelAdapter | undefined;
      try {
        adapter = await this.opts.createAdapter();
        const dropped = new Promise<Error | undefined>((resolve) => {
          adapter?.onStatus?.((s: AdapterStatus, err?: Error) => {
            if (s === "disconnected") resolve(err ?? new Error("connection lost"));
            if (s === "connected" && this.current) void this.wiring?.sender.flush();
          });
          if (attempt.signal.aborted) resolve(undefined);
          else attempt.signal.addEventListener("abort", () => resolve(undefined), { once: true });
        });
        const wired = adapter;
        const { sender } = this.pipeline(wired);
        this.state.state = this.state.failures > 0 ? "reconnecting" : "starting";
        await wired.start(attempt.signal);
        this.current = wired;
        Object.assign(this.state, { state: "connected", failures: 0, connectedAt: new Date().toISOString() });
        this.state.lastError = undefined;
        this.state.fix = undefined;
        log.info({ bridge: this.opts.id }, "bridge connected");
        this.state.warnings = wired.warnings?.() ?? [];
        for (const warning of this.state.warnings) log.warn({ bridge: this.opts.id }, warning);
        const timer = setInterval(() => void sender.flush(), this.opts.flushIntervalMs ?? 30_000);
        timer.unref?.();
        const flushed = sender.flush();
        this.opts.onConnected?.(this.opts.id);
        await flushed;
        const lost = await dropped;
        clearInterval(timer);
        if (lost) throw lost;
      } catch (err) {
        if (signal.aborted) break;
        this.state.failures++;
        this.state.state = err instanceof UserError ? "error" : "reconnecting";
        this.state.lastError = err instanceof Error ? err.message : String(err);
        this.state.fix = err instanceof UserError ? err.fix : undefined;
        log.warn(
          { bridge: this.opts.id, err: this.state.lastError, failures: this.state.failures },
          "bridge down",
        );
      } finally {
        signal.removeEventListener("abort", onStop);
        attempt.abort(new Error("attempt over"));
        this.current = undefined;
        await adapter?.stop().catch(() => {});
      }
      if (signal.aborted) break;
      // A configuration error (bad token) will not fix itself quickly: wait the longest step.
      const step = this.state.state === "error" ? 30 : this.state.failures - 1;
      await sleep(backoffDelay(step, this.opts.backoff), signal).catch(() => {});
    }
  }
}
