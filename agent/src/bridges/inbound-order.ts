import type { BridgeLogger, InboundHandler, InboundMessage } from "./types.js";

/**
 * Hands inbound messages to the core one after another per chat (the ChannelAdapter contract: arrival order
 * per chat) without making the caller wait — for adapters whose platform needs a quick answer to each
 * delivery (a webhook's 200, a long connection's ack) while the model takes seconds. Chats run in parallel;
 * a failing handler is logged and does not stop the chat's later messages.
 */
export class InboundOrder {
  private readonly chats = new Map<string, Promise<void>>();

  constructor(
    private readonly log: BridgeLogger,
    /** Name for the log line, e.g. "feishu". */
    private readonly platform: string,
  ) {}

  /** Queues `message` behind its chat's earlier ones; `handler` undefined = dropped (not started). */
  push(message: InboundMessage, handler: InboundHandler | undefined): void {
    const chatId = message.chatId;
    const next = (this.chats.get(chatId) ?? Promise.resolve())
      .then(() => handler?.(message))
      .catch((err: unknown) =>
        this.log.error({ err: String(err) }, `${this.platform} inbound handler failed`),
      );
    this.chats.set(chatId, next);
    void next.then(() => {
      if (this.chats.get(chatId) === next) this.chats.delete(chatId);
    });
  }
}
