/**
 * Which context sequence (KV cache slot) serves which conversation. A llama.cpp context holds a few
 * sequences; each keeps the tokens of the conversation it last served, so the next turn of that conversation
 * only evaluates the new tokens (prefix reuse). With more conversations than sequences, the least recently
 * used free sequence is taken over (its cache is then mostly re-evaluated).
 */
export class SequencePool {
  private readonly owner: Array<string | undefined>;
  private readonly lastUsed: number[];
  private readonly busy: boolean[];
  private clock = 0;

  /** @param size number of sequences in the context (≥ 1). */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`sequence pool size must be ≥ 1, got ${size}`);
    this.owner = new Array(size).fill(undefined);
    this.lastUsed = new Array(size).fill(-1);
    this.busy = new Array(size).fill(false);
  }

  /**
   * Takes a free sequence for `conversationId`: the one it used last if free, else the least recently used
   * free one. `warm` tells whether that sequence last served this conversation (its KV cache is reusable).
   * Throws RangeError when every sequence is busy (the engine never runs more requests than sequences).
   */
  acquire(conversationId: string): { index: number; warm: boolean } {
    let pick = this.owner.findIndex((o, i) => o === conversationId && !this.busy[i]);
    const warm = pick >= 0;
    if (!warm) {
      let oldest = Number.POSITIVE_INFINITY;
      for (let i = 0; i < this.size; i++) {
        const used = this.lastUsed[i] ?? -1;
        if (!this.busy[i] && used < oldest) {
          oldest = used;
          pick = i;
        }
      }
    }
    if (pick < 0) throw new RangeError("all context sequences are busy");
    this.busy[pick] = true;
    this.owner[pick] = conversationId;
    this.lastUsed[pick] = this.clock++;
    return { index: pick, warm };
  }

  /** Returns sequence `index` to the pool; it stays assigned to its conversation until taken over. */
  release(index: number): void {
    this.busy[index] = false;
  }

  /** Conversation each sequence last served (undefined = never used). */
  owners(): ReadonlyArray<string | undefined> {
    return this.owner;
  }
}
