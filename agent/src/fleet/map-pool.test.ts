import { describe, expect, it } from "vitest";
import { mapPool } from "./map-pool.js";

describe("mapPool", () => {
  it("keeps input order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapPool([5, 1, 4, 2, 3, 0, 6], 3, async (x, i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, x * 3));
      running--;
      return `${i}:${x}`;
    });
    expect(out).toEqual(["0:5", "1:1", "2:4", "3:2", "4:3", "5:0", "6:6"]);
    expect(peak).toBe(3);
  });

  it("handles an empty list", async () => {
    expect(await mapPool([], 4, async (x: number) => x)).toEqual([]);
  });
});
