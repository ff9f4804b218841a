import { cpus } from "node:os";
import { getLlama, LlamaCompletion, LlamaLogLevel, type LlamaModel } from "node-llama-cpp";
import { type AgentProcess, rssBytes, startAgent } from "./agent-process.js";
import { median } from "./stats.js";

/** Same prompt and generation length for every measurement (greedy, so runs are comparable). */
const PROMPT = "Once upon a time";
const MAX_TOKENS = 128;
const REPS = 5;
/** Upper bound on one direct measurement, ms (tokens/s is then computed over what ran). */
const RUN_LIMIT_MS = 5_000;

export interface InferenceBenchResult {
  apiTokensPerSecond: number;
  directTokensPerSecond: number;
  apiVsDirectTokensPerSecondRatio: number;
  agentThreads: number;
  threadSweep: Record<string, number>;
  bestThreads: number;
  defaultVsBestThreadsRatio: number;
  idleRssBytes: number;
  modelFileBytes: number;
  idleRssOverModelBytes: number;
  coldStartMs: number;
}

/**
 * Issue 2's benchmark, side by side in one run on one model:
 * - tokens/s through `POST /v1/chat/completions` of a real agent process vs node-llama-cpp called directly
 *   (LlamaCompletion, best thread count of the sweep), same prompt, same max tokens, greedy; medians of
 *   REPS interleaved runs after one warm-up each. Tokens/s = completion tokens ÷ request wall time.
 * - tokens/s with the agent's own runtime settings (threads and context size it chose, read from
 *   `/admin/status`) vs the best of a sweep over 1 … max(4, 2 × logical cores) threads.
 * - idle RSS of the agent with the model loaded (VmRSS), and cold start (spawn → `/healthz` 200, median of 3).
 */
export async function benchInference(
  modelPath: string,
  log: (line: string) => void,
): Promise<InferenceBenchResult> {
  const coldStarts: number[] = [];
  for (let i = 0; i < 2; i++) {
    const a = await startAgent({ model: modelPath });
    coldStarts.push(a.coldStartMs);
    await a.stop();
  }
  const agent = await startAgent({ model: modelPath });
  coldStarts.push(agent.coldStartMs);
  try {
    const status = (await getJson(agent, "/admin/status")) as {
      model: { threads: number; contextSize: number; fileBytes: number };
    };
    const { threads: agentThreads, contextSize, fileBytes } = status.model;
    log(`agent chose threads=${agentThreads} contextSize=${contextSize}`);

    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath });
    const maxSweep = Math.max(4, 2 * cpus().length);
    const threadSweep: Record<string, number> = {};
    for (let t = 1; t <= maxSweep; t++) {
      threadSweep[t] = await directTokensPerSecond(model, t, contextSize, 3);
      log(`direct threads=${t}: ${threadSweep[t]?.toFixed(1)} tokens/s`);
    }
    const [bestThreads] = Object.entries(threadSweep).sort((a, b) => b[1] - a[1])[0] as [string, number];

    // Side by side, interleaved: agent settings direct, best direct, API.
    const agentRuns: number[] = [];
    const directRuns: number[] = [];
    const apiRuns: number[] = [];
    await apiTokensPerSecond(agent, -1);
    for (let i = 0; i < REPS; i++) {
      agentRuns.push(await directTokensPerSecond(model, agentThreads, contextSize, 1));
      directRuns.push(await directTokensPerSecond(model, Number(bestThreads), contextSize, 1));
      apiRuns.push(await apiTokensPerSecond(agent, i));
    }
    await model.dispose();
    await llama.dispose();

    await new Promise((r) => setTimeout(r, 1500));
    const idleRssBytes = rssBytes(agent.agent.child.pid as number);
    const api = median(apiRuns);
    const direct = median(directRuns);
    const bestOfSweep = Math.max(median(directRuns), median(agentRuns), ...Object.values(threadSweep));
    return {
      apiTokensPerSecond: api,
      directTokensPerSecond: direct,
      apiVsDirectTokensPerSecondRatio: api / direct,
      agentThreads,
      threadSweep,
      bestThreads: Number(bestThreads),
      defaultVsBestThreadsRatio: median(agentRuns) / bestOfSweep,
      idleRssBytes,
      modelFileBytes: fileBytes,
      idleRssOverModelBytes: idleRssBytes - fileBytes,
      coldStartMs: median(coldStarts),
    };
  } finally {
    await agent.stop();
  }
}

/** Median tokens/s of `reps` greedy completions of PROMPT with a fresh context of `threads` threads. */
async function directTokensPerSecond(model: LlamaModel, threads: number, contextSize: number, reps: number) {
  const runs: number[] = [];
  const context = await model.createContext({ contextSize, threads: { ideal: threads, min: threads } });
  try {
    for (let i = 0; i <= reps; i++) {
      const sequence = context.getSequence();
      const completion = new LlamaCompletion({ contextSequence: sequence });
      let tokens = 0;
      const t0 = performance.now();
      await completion.generateCompletion(PROMPT, {
        maxTokens: MAX_TOKENS,
        temperature: 0,
        // A pathological thread count can run at a few tokens/s: measure what it does in RUN_LIMIT_MS.
        signal: AbortSignal.timeout(RUN_LIMIT_MS),
        stopOnAbortSignal: true,
        onToken: (t) => {
          tokens += t.length;
        },
      });
      const ms = performance.now() - t0;
      completion.dispose();
      sequence.dispose();
      if (i > 0) runs.push(tokens / (ms / 1000)); // run 0 warms up
    }
  } finally {
    await context.dispose();
  }
  return median(runs);
}

/** Tokens/s of one non-streamed chat completion through the agent's HTTP API (its own conversation). */
async function apiTokensPerSecond(agent: AgentProcess, i: number): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${agent.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      messages: [{ role: "user", content: PROMPT }],
      max_tokens: MAX_TOKENS,
      temperature: 0,
      user: `bench-${i}`,
    }),
  });
  const body = (await res.json()) as { usage?: { completion_tokens: number } };
  const ms = performance.now() - t0;
  if (!res.ok || !body.usage)
    throw new Error(`chat completion failed: ${res.status} ${JSON.stringify(body)}`);
  return body.usage.completion_tokens / (ms / 1000);
}

async function getJson(agent: AgentProcess, path: string): Promise<unknown> {
  const res = await fetch(`${agent.url}${path}`, { headers: { authorization: `Bearer ${agent.token}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}
