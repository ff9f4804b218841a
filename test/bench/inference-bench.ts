import { cpus } from "node:os";
import {
  ChatWrapper,
  type ChatWrapperGenerateContextStateOptions,
  type ChatWrapperGeneratedContextState,
  getLlama,
  LlamaChat,
  LlamaLogLevel,
  type LlamaModel,
  LlamaText,
  SpecialToken,
} from "node-llama-cpp";
import { type AgentProcess, rssBytes, startAgent } from "./agent-process.js";
import { median } from "./stats.js";

/** Same prompt and generation length for every measurement (greedy, so runs are comparable). */
const PROMPT = "Once upon a time";
const MAX_TOKENS = 128;
const REPS = 9;
/**
 * Requests each side serves right before the interleaved measurement. A fresh process needs about ten
 * 128-token completions before V8 has optimised the generation code (measured: 60–300 ms for the first
 * requests of a fresh agent or a fresh in-process engine, 35–45 ms from about the tenth on); the direct side is
 * warm from the thread sweep, so the agent gets as many requests before its runs count.
 */
const WARMUP = 10;
/** Upper bound on one direct measurement, ms (tokens/s is then computed over what ran). */
const RUN_LIMIT_MS = 5_000;

/**
 * The agent's prompt format for a GGUF without a chat template (the test model), written with
 * node-llama-cpp's public ChatWrapper API only: `<BOS>User: {text}\nAssistant:`, generation stopping at EOS or
 * a new "User:" line. The benchmark checks that both sides saw the same number of prompt tokens.
 */
class TranscriptChatWrapper extends ChatWrapper {
  readonly wrapperName = "Transcript";

  override generateContextState({
    chatHistory,
  }: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState {
    const parts: LlamaText[] = [LlamaText(new SpecialToken("BOS"))];
    for (const item of chatHistory) {
      if (item.type === "user") parts.push(LlamaText(`User: ${item.text}\n`));
      else if (item.type === "model") parts.push(LlamaText("Assistant:"));
    }
    return {
      contextText: LlamaText(parts),
      stopGenerationTriggers: [LlamaText(new SpecialToken("EOS")), LlamaText("\nUser:")],
      ignoreStartText: [LlamaText(" ")],
    };
  }
}

/** Smaller runs for a slow model (defaults: the constants above, a sweep over 1 … max(4, 2 × cores)). */
export interface InferenceBenchOptions {
  maxTokens?: number;
  reps?: number;
  warmup?: number;
  /** Direct runs per thread count of the sweep (default 3). */
  sweepReps?: number;
  /** Largest thread count of the sweep. */
  maxSweepThreads?: number;
  /** Agent cold starts measured (default 3). */
  coldStarts?: number;
}

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
  /** Prompt and completion tokens of one run on each side (they must match, else the bench throws). */
  tokens: { prompt: number; completion: number };
}

/**
 * The inference benchmark (the API must cost next to nothing over node-llama-cpp called directly), side by
 * side in one run on one model:
 * - tokens/s through `POST /v1/chat/completions` of a real agent process vs node-llama-cpp called directly
 *   (best thread count of the sweep), same messages, same max tokens, greedy; medians of REPS interleaved runs
 *   after WARMUP runs of each side. Tokens/s = completion tokens ÷ wall time of the whole request (prompt
 *   included) on both sides. The direct side is what an application using node-llama-cpp for chat would
 *   run: its chat-level API (LlamaChat.generateResponse on a chat history, with a chat wrapper rendering the
 *   agent's prompt format for this model), not LlamaCompletion on the bare text — a chat API has to render
 *   the history and watch for stop triggers, so raw completion would charge the agent for the chat
 *   itself rather than for its own overhead. Both sides must report the same prompt and completion token
 *   counts (same prompt, same work), or the benchmark throws.
 * - tokens/s with the agent's own runtime settings (threads and context size it chose, read from
 *   `/admin/status`) vs the best of a sweep over 1 … max(4, 2 × logical cores) threads.
 * - idle RSS of the agent with the model loaded (VmRSS), and cold start (spawn → `/healthz` 200, median of 3).
 */
export async function benchInference(
  modelPath: string,
  log: (line: string) => void,
  opts: InferenceBenchOptions = {},
): Promise<InferenceBenchResult> {
  const maxTokens = opts.maxTokens ?? MAX_TOKENS;
  const reps = opts.reps ?? REPS;
  const warmup = opts.warmup ?? WARMUP;
  const coldStarts: number[] = [];
  for (let i = 0; i < (opts.coldStarts ?? 3) - 1; i++) {
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
    const maxSweep = opts.maxSweepThreads ?? Math.max(4, 2 * cpus().length);
    const threadSweep: Record<string, number> = {};
    for (let t = 1; t <= maxSweep; t++) {
      threadSweep[t] = (
        await directTokensPerSecond(model, t, contextSize, opts.sweepReps ?? 3, maxTokens)
      ).tokensPerSecond;
      log(`direct threads=${t}: ${threadSweep[t]?.toFixed(1)} tokens/s`);
    }
    const [bestThreads] = Object.entries(threadSweep).sort((a, b) => b[1] - a[1])[0] as [string, number];

    // Same warm-up for both sides, then side by side, interleaved: agent settings direct, best direct, API.
    const directWarm = await directTokensPerSecond(
      model,
      Number(bestThreads),
      contextSize,
      warmup,
      maxTokens,
    );
    let apiWarm: ApiRun | undefined;
    for (let i = 0; i < warmup; i++) apiWarm = await apiRun(agent, -1 - i, maxTokens);
    if (
      !apiWarm ||
      apiWarm.promptTokens !== directWarm.promptTokens ||
      apiWarm.completionTokens !== directWarm.completionTokens
    ) {
      throw new Error(
        `the two sides did different work: API ${apiWarm?.promptTokens} prompt + ${apiWarm?.completionTokens} completion tokens, direct ${directWarm.promptTokens} + ${directWarm.completionTokens}`,
      );
    }
    log(`both sides: ${apiWarm.promptTokens} prompt + ${apiWarm.completionTokens} completion tokens per run`);
    const agentRuns: number[] = [];
    const directRuns: number[] = [];
    const apiRuns: number[] = [];
    for (let i = 0; i < reps; i++) {
      agentRuns.push(
        (await directTokensPerSecond(model, agentThreads, contextSize, 1, maxTokens)).tokensPerSecond,
      );
      directRuns.push(
        (await directTokensPerSecond(model, Number(bestThreads), contextSize, 1, maxTokens)).tokensPerSecond,
      );
      apiRuns.push((await apiRun(agent, i, maxTokens)).tokensPerSecond);
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
      tokens: { prompt: apiWarm.promptTokens, completion: apiWarm.completionTokens },
    };
  } finally {
    await agent.stop();
  }
}

interface DirectRuns {
  /** Median tokens/s of the counted runs. */
  tokensPerSecond: number;
  /** Prompt and completion tokens of the last run. */
  promptTokens: number;
  completionTokens: number;
}

/**
 * Median tokens/s of `reps` greedy chat replies to PROMPT (after one uncounted warm-up run) through
 * node-llama-cpp's LlamaChat on a fresh context of `threads` threads. Like the agent, each run reuses the
 * prompt already in the sequence's KV cache and counts every sampled token (token meter).
 */
async function directTokensPerSecond(
  model: LlamaModel,
  threads: number,
  contextSize: number,
  reps: number,
  maxTokens: number,
): Promise<DirectRuns> {
  const runs: number[] = [];
  let promptTokens = 0;
  let completionTokens = 0;
  const context = await model.createContext({ contextSize, threads: { ideal: threads, min: threads } });
  const sequence = context.getSequence();
  const wrapper = new TranscriptChatWrapper();
  const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: wrapper });
  const history = [
    { type: "user" as const, text: PROMPT },
    { type: "model" as const, response: [] },
  ];
  try {
    for (let i = 0; i <= reps; i++) {
      const before = sequence.tokenMeter.getState();
      const t0 = performance.now();
      const signal = AbortSignal.timeout(RUN_LIMIT_MS);
      try {
        await chat.generateResponse(history, {
          maxTokens,
          temperature: 0,
          // A pathological thread count can run at a few tokens/s: measure what it does in RUN_LIMIT_MS.
          signal,
          stopOnAbortSignal: true,
        });
      } catch (err) {
        // LlamaChat throws the signal's reason when it is aborted before the first token
        if (!signal.aborted) throw err;
      }
      const ms = performance.now() - t0;
      completionTokens = sequence.tokenMeter.diff(before).usedOutputTokens;
      promptTokens = wrapper
        .generateContextState({ chatHistory: history })
        .contextText.tokenize(model.tokenizer).length;
      if (i > 0) runs.push(completionTokens / (ms / 1000)); // run 0 warms up
    }
  } finally {
    chat.dispose();
    await context.dispose();
  }
  return { tokensPerSecond: median(runs), promptTokens, completionTokens };
}

interface ApiRun {
  tokensPerSecond: number;
  promptTokens: number;
  completionTokens: number;
}

/** One non-streamed chat completion through the agent's HTTP API (its own conversation), client wall time. */
async function apiRun(agent: AgentProcess, i: number, maxTokens: number): Promise<ApiRun> {
  const t0 = performance.now();
  const res = await fetch(`${agent.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${agent.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      messages: [{ role: "user", content: PROMPT }],
      max_tokens: maxTokens,
      temperature: 0,
      user: `bench-${i}`,
    }),
  });
  const body = (await res.json()) as { usage?: { prompt_tokens: number; completion_tokens: number } };
  const ms = performance.now() - t0;
  if (!res.ok || !body.usage)
    throw new Error(`chat completion failed: ${res.status} ${JSON.stringify(body)}`);
  return {
    tokensPerSecond: body.usage.completion_tokens / (ms / 1000),
    promptTokens: body.usage.prompt_tokens,
    completionTokens: body.usage.completion_tokens,
  };
}

async function getJson(agent: AgentProcess, path: string): Promise<unknown> {
  const res = await fetch(`${agent.url}${path}`, { headers: { authorization: `Bearer ${agent.token}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}
