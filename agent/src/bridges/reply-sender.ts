import { splitText } from "./chunker.js";
import type { Outbox, OutboxEntry } from "./outbox.js";
import type { SendQueue } from "./send-queue.js";
import { type BridgeLogger, type ChannelAdapter, PermanentSendError } from "./types.js";

export interface ReplySenderOptions {
  bridgeId: string;
  adapter: ChannelAdapter;
  outbox: Outbox;
  queue: SendQueue;
  log: BridgeLogger;
}

/**
 * Delivers replies through the outbox: chunk at the platform limit → store every chunk (pending) → send in
 * order through the chat's send queue → mark sent. A piece is re-read inside the queue before sending, so
 * a reconnect flush racing a live delivery never sends it twice. A transient error leaves the rest pending
 * (delivered by `flush` after the reconnect); a PermanentSendError marks the piece failed.
 */
export class ReplySender {
  constructor(private readonly opts: ReplySenderOptions) {}

  /**
   * Stores and sends `text` as the reply identified by `replyKey` (deterministic, e.g. the inbound chat
   * and message id: handling the same inbound twice stores nothing new). With `previewMessageId` (edit
   * streaming) the first chunk replaces the preview by an edit instead of a new message.
   * Resolves true when every piece was delivered now; false when some wait in the outbox.
   */
  async deliver(
    replyKey: string,
    target: { chatId: string; threadId?: string },
    text: string,
    previewMessageId?: string,
  ): Promise<boolean> {
    return this.sendStored(this.store(replyKey, target, text), previewMessageId);
  }

  /**
   * First half of `deliver`, synchronous so callers can put it in one SQLite transaction with their own
   * writes: chunks `text` and stores the pieces as pending. Returns the stored entries.
   */
  store(replyKey: string, target: { chatId: string; threadId?: string }, text: string): OutboxEntry[] {
    const caps = this.opts.adapter.capabilities;
    const chunks = splitText(text, {
      maxLength: caps.maxTextLength,
      unit: caps.lengthUnit,
      singleLine: caps.singleLine,
    });
    return this.opts.outbox.enqueue(
      chunks.map((t, i) => ({
        id: `${this.opts.bridgeId}/${replyKey}/${i}`,
        bridgeId: this.opts.bridgeId,
        chatId: target.chatId,
        threadId: target.threadId,
        text: t,
      })),
    );
  }

  /** Second half of `deliver`: sends stored entries in order; true when all were delivered now. */
  async sendStored(entries: OutboxEntry[], previewMessageId?: string): Promise<boolean> {
    try {
      for (const [i, e] of entries.entries()) await this.sendEntry(e, i === 0 ? previewMessageId : undefined);
      return true;
    } catch {
      return false;
    }
  }

  private flushing: Promise<number> | null = null;

  /**
   * Sends every pending piece of this bridge, oldest first; per chat it stops at the first transient error.
   * Returns pieces sent. One flush at a time: a call while one runs joins it (a periodic timer and a
   * reconnect may both ask), so queued pieces are not walked twice through the per-chat rate gap.
   */
  flush(): Promise<number> {
    this.flushing ??= this.flushOnce().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<number> {
    const byChat = new Map<string, OutboxEntry[]>();
    for (const e of this.opts.outbox.pending(this.opts.bridgeId)) {
      byChat.set(e.chatId, [...(byChat.get(e.chatId) ?? []), e]);
    }
    const counts = await Promise.all(
      [...byChat.values()].map(async (list) => {
        let sent = 0;
        try {
          for (const e of list) {
            // Delivered meanwhile by the live path: skip it without paying the chat's rate gap.
            if (this.opts.outbox.get(e.id)?.status !== "pending") continue;
            if (await this.sendEntry(e)) sent++;
          }
        } catch {
          // stays pending for the next flush
        }
        return sent;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** True when this call sent it; false when it was already sent/failed; throws on a transient error. */
  private sendEntry(entry: OutboxEntry, editId?: string): Promise<boolean> {
    const { adapter, outbox, queue, log } = this.opts;
    return queue.run(entry.chatId, async () => {
      const current = outbox.get(entry.id);
      if (current?.status !== "pending") return false;
      try {
        let platformId: string | undefined;
        if (editId && adapter.edit) {
          try {
            await adapter.edit(entry.chatId, editId, entry.text);
            platformId = editId;
          } catch {
            platformId = undefined; // fall back to a new message
          }
        }
        platformId ??= await adapter.send({
          chatId: entry.chatId,
          text: entry.text,
          threadId: entry.threadId ?? undefined,
          outboxId: entry.id,
        });
        outbox.markSent(entry.id, platformId);
        return true;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof PermanentSendError) {
          outbox.markFailed(entry.id, message);
          log.warn({ outboxId: entry.id, err: message }, "reply dropped: the platform refused it");
          return false;
        }
        outbox.recordAttempt(entry.id, message);
        log.info(
          { outboxId: entry.id, err: message },
          "reply kept in the outbox until the bridge reconnects",
        );
        throw err;
      }
    });
  }
}
