import { describe, expect, it } from "vitest";
import { addressPolicy } from "./address-policy.js";
import { FailureLimiter } from "./rate-limit.js";

describe("FailureLimiter", () => {
  it("blocks after maxFailures within the window, per key, and forgets old failures", () => {
    let now = 1_000_000;
    const limiter = new FailureLimiter(5, 60_000, () => now);
    for (let i = 0; i < 4; i++) limiter.fail("a");
    expect(limiter.blocked("a")).toBe(false);
    limiter.fail("a");
    expect(limiter.blocked("a")).toBe(true);
    expect(limiter.blocked("b")).toBe(false);
    expect(limiter.retryAfterSeconds("a")).toBe(60);
    now += 30_000;
    expect(limiter.retryAfterSeconds("a")).toBe(30);
    now += 30_001;
    expect(limiter.blocked("a")).toBe(false);
  });
});

describe("addressPolicy", () => {
  const local = addressPolicy();
  it.each([
    "127.0.0.1",
    "::1",
    "10.1.2.3",
    "172.20.0.5",
    "192.168.1.20",
    "169.254.3.4",
    "fe80::1",
    "fd12::5",
    "::ffff:192.168.0.9",
  ])("allows %s", (ip) => expect(local.allows(ip)).toBe(true));
  it.each(["8.8.8.8", "172.32.0.1", "2001:db8::1", "::ffff:1.1.1.1", "garbage"])("refuses %s", (ip) =>
    expect(local.allows(ip)).toBe(false),
  );
  it("adds configured ranges and rejects malformed ones", () => {
    expect(addressPolicy(["100.64.0.0/10"]).allows("100.100.1.1")).toBe(true);
    expect(() => addressPolicy(["100.64.0.0/40"])).toThrow(/CIDR/);
    expect(() => addressPolicy(["nonsense"])).toThrow(/CIDR/);
  });
});
