import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readApiToken } from "../../agent/src/server/api-token.js";
import { sseData } from "../../agent/src/server/sse-data.js";
import { startCli } from "../api/cli-process.js";

export interface ConcurrencyBenchOptions {
  /** Concurrent streams to measure (default 1, 2, 4, 8). */
  levels?: number[];
  /** After `levels`, keep doubling while p99 time to first token stays under this, ms (default 2,000). */
  ttftLimitMs?: number;
  /** Never probe beyond this many sessions (default 64: past the seeds' 50 per node). */
  maxSessions?: number;
  /** Completion tokens per stream (default 16; the realistic model never stops early). */
  maxTokens?: number;
  /** CPU threads of the agent (default 1: on a busy 2-core machine 2 threads stall on spin barriers). */
  threads?: number;
  /** Context size per sequence, tokens (default 512). */
  contextSize?: number;
}

export interface ConcurrencyLevel {
  streams: number;
  /** Σ completion tokens ÷ (last stream end − first request sent), tokens/s. */
  tokensPerSecond: number;
  /** p99 (nearest rank) of request sent → first content chunk, ms. */
  p99TimeToFirstTokenMs: number;
}

export interface ConcurrencyBenchResult {
  levels: ConcurrencyLevel[];
  /** Largest stream count measured whose p99 time to first token stayed under ttftLimitMs (0 = none). */
  sessionsUnderTtftLimit: number;
  ttftLimitMs: number;
}

/**
 * Concurrent sessions through a real agent process: `clawbox start` with `inference.parallel` = the most
 * sessions probed (each its own KV cache sequence, decoded together in one batch), then for each level N,
 * N streamed chat completions of new conversations sent at once. Per level: aggregate tokens/s and p99 time
 * to first token (client side: request sent → first content chunk). After `levels`, N doubles while the p99
 * stays under `ttftLimitMs`, to report how many sessions this machine holds within that limit.
 */
export async function benchConcurrency(
  modelPath: string,
  log: (line: string) => void,
  opts: ConcurrencyBenchOptions = {},
): Promise<ConcurrencyBenchResult> {
  const levels = opts.levels ?? [1, 2, 4, 8];
  const limit = opts.ttftLimitMs ?? 2_000;
  const maxSessions = opts.maxSessions ?? 64;
  const dataDir = mkdtempSync(join(tmpdir(), "clawbox-bench-conc-"));
  const config = join(dataDir, "config.yaml");
  writeFileSync(config, `inference:\n  parallel: ${maxSessions}\n  maxQueue: ${maxSessions * 2}\n`);
  const agent = await startCli([
    "--model",
    modelPath,
    "--config",
    config,
    "--port",
    "0",
    "--data-dir",
    dataDir,
    "--threads",
    String(opts.threads ?? 1),
    "--context-size",
    String(opts.contextSize ?? 512),
  ]);
  const token = readApiToken(dataDir) ?? "";
  let round = 0;
  const runLevel = async (streams: number): Promise<ConcurrencyLevel> => {
    round++;
    const t0 = performance.now();
    const runs = await Promise.all(
      Array.from({ length: streams }, (_, i) =>
        streamOnce(agent.url, token, `bench-conc-${round}-${i}`, opts.maxTokens ?? 16),
      ),
    );
    const end = Math.max(...runs.map((r) => r.endAt));
    const tokens = runs.reduce((s, r) => s + r.completionTokens, 0);
    const ttfts = runs.map((r) => r.firstAt - r.sentAt).sort((a, b) => a - b);
    const level = {
      streams,
      tokensPerSecond: tokens / ((end - t0) / 1000),
      p99TimeToFirstTokenMs: ttfts[Math.ceil(0.99 * ttfts.length) - 1] as number,
    };
    log(
      `concurrent streams ${streams}: ${level.tokensPerSecond.toFixed(1)} tokens/s aggregate, p99 TTFT ${level.p99TimeToFirstTokenMs.toFixed(0)} ms`,
    );
    return level;
  };
  try {
    await runLevel(1); // warm-up: first touch of the weights and V8's first compile
    const measured: ConcurrencyLevel[] = [];
    for (const n of levels) measured.push(await runLevel(n));
    let next = Math.max(...levels) * 2;
    while ((measured.at(-1)?.p99TimeToFirstTokenMs ?? Infinity) < limit && next <= maxSessions) {
      measured.push(await runLevel(next));
      next *= 2;
    }
    const within = measured.filter((l) => l.p99TimeToFirstTokenMs < limit).map((l) => l.streams);
    return { levels: measured, sessionsUnderTtftLimit: Math.max(0, ...within), ttftLimitMs: limit };
  } finally {
    await agent.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface StreamRun {
  sentAt: number;
  firstAt: number;
  endAt: number;
  completionTokens: number;
}

/** One streamed completion of a new conversation; times are performance.now() ms. */
async function streamOnce(url: string, token: string, user: string, maxTokens: number): Promise<StreamRun> {
  const sentAt = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      messages: [{ role: "user", content: `Once upon a time, in session ${user}` }],
      max_tokens: maxTokens,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
      user,
    }),
  });
  if (!res.ok) throw new Error(`streamed completion failed: ${res.status} ${await res.text()}`);
  let firstAt: number | undefined;
  let completionTokens = 0;
  for await (const data of sseData(res)) {
    if (data === "[DONE]") break;
    const event = JSON.parse(data) as {
      choices?: { delta?: { content?: string } }[];
      usage?: { completion_tokens: number } | null;
    };
    if (event.choices?.[0]?.delta?.content) firstAt ??= performance.now();
    if (event.usage) completionTokens = event.usage.completion_tokens;
  }
  const endAt = performance.now();
  return { sentAt, firstAt: firstAt ?? endAt, endAt, completionTokens };
}
