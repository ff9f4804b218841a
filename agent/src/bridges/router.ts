import { UserError } from "../errors.js";
import type { ChatMessage, InferenceService } from "../inference/types.js";
import type { AccessPolicy } from "../pairing/access-policy.js";
import type { ConversationStore } from "../store/conversation-store.js";
import type { ChatCommands } from "./chat-commands.js";
import { EditStreamer } from "./edit-streamer.js";
import type { InboundDedup } from "./inbound-dedup.js";
import { RateLimiter } from "./rate-limiter.js";
import type { ReplySender } from "./reply-sender.js";
import type { SendQueue } from "./send-queue.js";
import type { BridgeLogger, ChannelAdapter, InboundMessage } from "./types.js";
import { keepTyping } from "./typing-keepalive.js";

export interface RouterOptions {
  bridgeId: string;
  adapter: ChannelAdapter;
  policy: AccessPolicy;
  inference: InferenceService;
  conversations: ConversationStore;
  dedup: InboundDedup;
  sender: ReplySender;
  queue: SendQueue;
  log: BridgeLogger;
  /** System prompt of every bridge conversation. */
  systemPrompt?: string;
  /** Newest stored messages given to the model (the engine then fits them to the context size). Default 40. */
  historyMessages?: number;
  maxTokens?: number;
  /** Per-sender inbound limit: burst and refill (ms per message). Default 10 and 3000 (20 a minute). */
  senderBurst?: number;
  senderRefillMs?: number;
  /** Aborted when the bridge stops: running generations are cancelled (their replies are not stored). */
  signal?: AbortSignal;
  /**
   * Runs `fn` as one SQLite transaction (the runner passes `db.transaction`): the inbound bookkeeping and
   * the reply's storage each cost one commit instead of four. Default: runs `fn` as is.
   */
  atomic?: <T>(fn: () => T) => T;
  /** Commands a feature adds (reminders); asked for any `/name` the router does not answer itself. */
  commands?: ChatCommands;
}

/** What the synchronous first step decided. */
type Plan =
  | { kind: "none" }
  | { kind: "reply"; text: string }
  | { kind: "converse"; conversationId: string; messages: ChatMessage[]; content: string };

export const HELP_TEXT =
  "Commands: /help (this text), /reset (forget this conversation), /status (model and queue), /model (which model answers).";

/** Conversation id of an inbound message: a DM is its own conversation per bridge and sender; a group per chat. */
export function conversationIdFor(bridgeId: string, msg: InboundMessage): string {
  return msg.isDirect ? `bridge:${bridgeId}:dm:${msg.senderId}` : `bridge:${bridgeId}:chat:${msg.chatId}`;
}

/**
 * inbound → dedup → access policy → per-sender rate limit → command or conversation → inference queue →
 * reply (streamed by edits where possible, typing kept alive, delivered through the outbox).
 */
export class BridgeRouter {
  private readonly limiter: RateLimiter;

  constructor(private readonly opts: RouterOptions) {
    this.limiter = new RateLimiter(opts.senderBurst ?? 10, opts.senderRefillMs ?? 3000);
  }

  /** Handles one inbound message; never throws (errors are logged and, where useful, answered). */
  async handle(msg: InboundMessage): Promise<void> {
    try {
      const atomic = this.opts.atomic ?? ((fn) => fn());
      const plan = atomic(() => this.plan(msg));
      if (plan.kind === "reply") await this.reply(msg, plan.text);
      else if (plan.kind === "converse") await this.converse(msg, plan);
    } catch (err) {
      this.opts.log.error(
        { err: err instanceof Error ? err.message : String(err) },
        "inbound handling failed",
      );
    }
  }

  /** Synchronous part: dedup → access policy → rate limit → command, or the conversation's next turn stored. */
  private plan(msg: InboundMessage): Plan {
    const { bridgeId, log } = this.opts;
    if (!this.opts.dedup.firstSeen(bridgeId, `${msg.chatId}/${msg.id}`)) return { kind: "none" };
    const decision = this.opts.policy.decide(msg);
    if (decision.kind === "ignore") {
      log.debug({ chatId: msg.chatId, reason: decision.reason }, "inbound ignored");
      return { kind: "none" };
    }
    if (decision.kind === "refuse") {
      log.info(
        { chatId: msg.chatId, reason: decision.reason, answered: decision.reply !== null },
        "inbound refused",
      );
      return decision.reply ? { kind: "reply", text: decision.reply } : { kind: "none" };
    }
    if (decision.kind === "pair") {
      log.info({ sender: msg.senderId, outcome: decision.outcome.kind }, "unknown sender: pairing");
      return decision.reply ? { kind: "reply", text: decision.reply } : { kind: "none" };
    }
    if (!this.limiter.take(msg.senderId || msg.chatId)) {
      log.info({ sender: msg.senderId }, "inbound rate limit: message dropped");
      return { kind: "none" };
    }
    const text = msg.text.trim();
    if (text.startsWith("/")) {
      const answer = this.command(msg, text);
      if (answer !== null) return { kind: "reply", text: answer };
    }
    if (text === "") return { kind: "none" };
    const { conversations, adapter } = this.opts;
    const conversationId = conversationIdFor(bridgeId, msg);
    conversations.ensureConversation({
      id: conversationId,
      source: adapter.type,
      title: msg.senderName ?? null,
    });
    const history = conversations.getMessages(conversationId, this.opts.historyMessages ?? 40);
    const content = msg.isDirect || !msg.senderName ? text : `${msg.senderName}: ${text}`;
    const messages: ChatMessage[] = [
      ...(this.opts.systemPrompt ? [{ role: "system" as const, content: this.opts.systemPrompt }] : []),
      ...history.map((m) => ({ role: m.role, content: m.content })),
      { role: "user", content },
    ];
    conversations.appendMessage(conversationId, { role: "user", content });
    return { kind: "converse", conversationId, messages, content };
  }

  private reply(msg: InboundMessage, text: string, previewId?: string): Promise<boolean> {
    return this.opts.sender.deliver(
      `${msg.chatId}/${msg.id}`,
      { chatId: msg.chatId, threadId: msg.threadId },
      text,
      previewId,
    );
  }

  /** Answer of a built-in command, or null when `text` is not one (then it goes to the model). */
  private command(msg: InboundMessage, text: string): string | null {
    const name = text.slice(1).split(/[\s@]/)[0]?.toLowerCase();
    const { inference } = this.opts;
    switch (name) {
      case "help":
      case "start":
        return this.opts.commands ? `${HELP_TEXT} ${this.opts.commands.help}` : HELP_TEXT;
      case "reset":
        this.opts.conversations.deleteConversation(conversationIdFor(this.opts.bridgeId, msg));
        return "Done: this conversation is forgotten.";
      case "model":
        return inference.model ? `Model: ${inference.model.id}` : "No model is loaded yet.";
      case "status": {
        const s = inference.stats();
        const model = inference.model ? inference.model.id : "none loaded";
        return `Model: ${model}. Queue: ${s.queueDepth} waiting, ${s.activeRequests} running. Last speed: ${s.lastTokensPerSecond.toFixed(1)} tokens/s.`;
      }
      default: {
        const args = text.slice(1).replace(/^\S+\s*/, "");
        const ctx = {
          bridgeId: this.opts.bridgeId,
          chatId: msg.chatId,
          threadId: msg.threadId,
          senderId: msg.senderId,
        };
        return name ? (this.opts.commands?.handle(ctx, name, args) ?? null) : null;
      }
    }
  }

  private async converse(msg: InboundMessage, plan: Extract<Plan, { kind: "converse" }>): Promise<void> {
    const { adapter, conversations, inference } = this.opts;
    const { conversationId, messages } = plan;
    const stopTyping = keepTyping(adapter, msg.chatId);
    const streamer = adapter.capabilities.canEdit
      ? new EditStreamer({
          adapter,
          queue: this.opts.queue,
          chatId: msg.chatId,
          threadId: msg.threadId,
          minIntervalMs: adapter.capabilities.minEditIntervalMs,
        })
      : undefined;
    let soFar = "";
    let answer: string;
    let stored: { text: string; tokens: number } | undefined;
    try {
      const result = await inference.complete({
        conversationId,
        messages,
        maxTokens: this.opts.maxTokens,
        signal: this.opts.signal,
        onText: streamer
          ? (t) => {
              soFar += t;
              streamer.update(soFar);
            }
          : undefined,
      });
      answer = result.text.trim() || "(no answer)";
      stored = { text: result.text, tokens: result.completionTokens };
    } catch (err) {
      answer =
        err instanceof UserError
          ? `Sorry, I cannot answer right now: ${err.message}`
          : "Sorry, something went wrong.";
      this.opts.log.warn({ err: err instanceof Error ? err.message : String(err) }, "generation failed");
    } finally {
      stopTyping();
    }
    const previewId = await streamer?.finish();
    if (this.opts.signal?.aborted) return;
    const atomic = this.opts.atomic ?? ((fn) => fn());
    const entries = atomic(() => {
      if (stored) {
        conversations.appendMessage(conversationId, {
          role: "assistant",
          content: stored.text,
          tokens: stored.tokens,
        });
      }
      return this.opts.sender.store(
        `${msg.chatId}/${msg.id}`,
        { chatId: msg.chatId, threadId: msg.threadId },
        answer,
      );
    });
    await this.opts.sender.sendStored(entries, previewId);
  }
}
