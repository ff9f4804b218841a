import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";
import { SendQueue } from "./send-queue.js";
import { RateLimitedError } from "./types.js";

describe("SendQueue", () => {
  it("runs one chat's operations in order and retries after retry_after", async () => {
    const queue = new SendQueue();
    const log: string[] = [];
    let limited = 2;
    const results = await Promise.all([
      queue.run("a", async () => {
        log.push("a1");
        if (limited-- > 0) throw new RateLimitedError(10);
        return "a1";
      }),
      queue.run("a", async () => {
        log.push("a2");
        return "a2";
      }),
    ]);
    expect(results).toEqual(["a1", "a2"]);
    expect(log).toEqual(["a1", "a1", "a1", "a2"]);
  });

  it("passes other errors on and gives up after maxRateLimitRetries", async () => {
    const queue = new SendQueue({ maxRateLimitRetries: 1 });
    await expect(queue.run("a", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    let calls = 0;
    await expect(
      queue.run("a", async () => {
        calls++;
        throw new RateLimitedError(1);
      }),
    ).rejects.toBeInstanceOf(RateLimitedError);
    expect(calls).toBe(2);
    expect(await queue.run("a", async () => "after")).toBe("after");
  });
});

describe("backoffDelay", () => {
  it("doubles per attempt up to the ceiling, with jitter in [step/2, step)", () => {
    expect(backoffDelay(0, { baseMs: 1000, random: () => 0 })).toBe(500);
    expect(backoffDelay(3, { baseMs: 1000, random: () => 0 })).toBe(4000);
    expect(backoffDelay(3, { baseMs: 1000, random: () => 0.999 })).toBe(7996);
    expect(backoffDelay(50, { baseMs: 1000, maxMs: 60_000, random: () => 0 })).toBe(30_000);
  });
});
