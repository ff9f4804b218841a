import { describe, expect, it } from "vitest";
import { SequencePool } from "./sequence-pool.js";

describe("SequencePool", () => {
  it("gives a conversation back the sequence it used last (warm KV cache)", () => {
    const pool = new SequencePool(2);
    const a = pool.acquire("a");
    expect(a.warm).toBe(false);
    pool.release(a.index);
    const b = pool.acquire("b");
    expect(b.index).not.toBe(a.index);
    pool.release(b.index);
    const again = pool.acquire("a");
    expect(again).toEqual({ index: a.index, warm: true });
  });

  it("takes over the least recently used free sequence when conversations outnumber sequences", () => {
    const pool = new SequencePool(2);
    for (const id of ["a", "b"]) pool.release(pool.acquire(id).index);
    pool.release(pool.acquire("a").index); // a is now more recent than b
    const c = pool.acquire("c");
    expect(c.warm).toBe(false);
    expect(pool.owners()[c.index]).toBe("c");
    expect(pool.owners()).toContain("a");
    expect(pool.owners()).not.toContain("b");
  });

  it("never hands out a busy sequence", () => {
    const pool = new SequencePool(2);
    const a = pool.acquire("a");
    const a2 = pool.acquire("a");
    expect(a2.index).not.toBe(a.index);
    expect(a2.warm).toBe(false);
    expect(() => pool.acquire("b")).toThrow(RangeError);
    pool.release(a.index);
    expect(pool.acquire("b").index).toBe(a.index);
  });

  it("rejects an empty pool", () => {
    expect(() => new SequencePool(0)).toThrow(RangeError);
  });
});
