import type { SendQueue } from "./send-queue.js";
import type { ChannelAdapter } from "./types.js";

export interface EditStreamerOptions {
  adapter: ChannelAdapter;
  queue: SendQueue;
  chatId: string;
  threadId?: string;
  /** Gap between edits, ms (ChannelCapabilities.minEditIntervalMs; default 1000: Telegram/Discord allow ~1/s per chat). */
  minIntervalMs?: number;
  /** Characters before the first preview is posted (avoids a message per token). Default 20. */
  minFirstChars?: number;
  now?: () => number;
}

/**
 * Streams a reply as a growing preview message on platforms that can edit (`canEdit`): the first
 * `minFirstChars` characters are sent as a message, later text replaces it by edits at most every
 * `minIntervalMs`, always the newest text (intermediate states are skipped, never queued). The preview
 * is best effort: errors are swallowed, and the final text is delivered through the outbox, which edits
 * the preview into the first chunk (see ReplySender). Previews are cut to the platform limit with "…".
 */
export class EditStreamer {
  private messageId: string | undefined;
  private latest = "";
  private shown = "";
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private done = false;

  constructor(private readonly opts: EditStreamerOptions) {}

  /** The whole text generated so far (not a delta). */
  update(textSoFar: string): void {
    if (this.done) return;
    this.latest = textSoFar;
    if (this.messageId === undefined && this.latest.trim().length < (this.opts.minFirstChars ?? 20)) return;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    const now = this.opts.now ?? Date.now;
    const wait = Math.max(0, this.lastAt + (this.opts.minIntervalMs ?? 1000) - now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.running.then(() => this.flush());
    }, wait);
  }

  private preview(): string {
    const max = this.opts.adapter.capabilities.maxTextLength;
    const text = this.latest.trim();
    return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
  }

  private async flush(): Promise<void> {
    if (this.done) return;
    const text = this.preview();
    if (text === "" || text === this.shown) return;
    const { adapter, queue, chatId, threadId } = this.opts;
    this.lastAt = (this.opts.now ?? Date.now)();
    try {
      if (this.messageId === undefined) {
        this.messageId = await queue.run(chatId, () => adapter.send({ chatId, text, threadId }));
      } else if (adapter.edit) {
        const id = this.messageId;
        await queue.run(chatId, () => adapter.edit?.(chatId, id, text) ?? Promise.resolve());
      }
      this.shown = text;
    } catch {
      // Best effort: the outbox delivers the final text.
    }
  }

  /** Stops streaming; resolves with the preview message's platform id (undefined when none was posted). */
  async finish(): Promise<string | undefined> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.done = true;
    await this.running;
    return this.messageId;
  }
}
