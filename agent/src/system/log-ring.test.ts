import pino from "pino";
import { describe, expect, it } from "vitest";
import { REDACT_PATHS } from "../log.js";
import { LogRing } from "./log-ring.js";
import { StatusSampler } from "./status-sampler.js";

describe("LogRing", () => {
  it("keeps the newest lines from pino (redacted), filters by level and text, and drops the oldest", async () => {
    const ring = new LogRing(3);
    const log = pino({ level: "debug", redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, ring);
    log.debug("boot");
    log.info({ password: "hunter2hunter2" }, "login");
    log.warn("disk nearly full");
    log.error({ model: "qwen" }, "load failed");
    await new Promise((r) => setImmediate(r));
    expect(ring.query().map((l) => l.msg)).toEqual(["load failed", "disk nearly full", "login"]);
    expect(ring.query({ minLevel: "warn" }).map((l) => l.msg)).toEqual(["load failed", "disk nearly full"]);
    expect(ring.query({ query: "QWEN" }).map((l) => l.msg)).toEqual(["load failed"]);
    expect(ring.query({ limit: 1 })).toHaveLength(1);
    expect(JSON.stringify(ring.query())).not.toContain("hunter2");
  });
});

describe("StatusSampler", () => {
  it("samples CPU, memory, tokens/s and requests per interval, keeping at most an hour", async () => {
    let tokens = 0;
    let requests = 0;
    const sampler = new StatusSampler(
      () => ({ queueDepth: 0, activeRequests: 0, tokensGenerated: tokens, lastTokensPerSecond: 42 }),
      () => requests,
      async () => 51.5,
    );
    const first = await sampler.sample();
    expect(first.tokensPerSecond).toBe(0);
    expect(first.memoryTotalBytes).toBeGreaterThan(first.memoryUsedBytes);
    expect(first.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(first.cpuPercent).toBeLessThanOrEqual(100);
    tokens = 100;
    requests = 3;
    const second = await sampler.sample();
    expect(second).toMatchObject({ tokensPerSecond: 42, requests: 3, temperatureC: 51.5 });
    expect((await sampler.sample()).requests).toBe(0);
    for (let i = 0; i < 400; i++) await sampler.sample();
    expect(sampler.history()).toHaveLength(360);
  });
});
