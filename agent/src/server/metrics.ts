import { readFileSync } from "node:fs";
import { freemem, totalmem } from "node:os";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { parseMeminfo } from "../hardware/memory.js";
import type { CompletionResult, InferenceService } from "../inference/types.js";

/** The agent's Prometheus metrics, on a registry of its own (never prom-client's global one). */
export interface ServerMetrics {
  registry: Registry;
  /** Records one finished chat completion. `durationMs` is the whole HTTP request, ms. */
  observeCompletion(result: CompletionResult, durationMs: number, stream: boolean): void;
  /** Counts a chat completion that ended in an error, by HTTP status. */
  observeFailure(status: number, durationMs: number, stream: boolean): void;
  /**
   * Counts one answered HTTP request of any route, whatever its status (400s and 401s included; called
   * from the server's onResponse hook). `route` is the route pattern (bounded label values) or
   * "unmatched" for 404s of unknown paths; `durationMs` is fastify's elapsed time, ms.
   */
  observeHttp(method: string, route: string, status: number, durationMs: number): void;
}

/**
 * Default metrics promtool flags (`promtool check metrics`: "non-counter metrics should not have _total
 * suffix"): gauges named like counters. The same numbers stay exported by type as `…_active_handles{type}`
 * etc., so `sum()` of those gives the totals.
 */
const MISNAMED_DEFAULT_METRICS = [
  "clawbox_nodejs_active_handles_total",
  "clawbox_nodejs_active_requests_total",
  "clawbox_nodejs_active_resources_total",
];

/** HTTP duration buckets, seconds: 5 ms (a cached status read) up to the 1 s latency alert and beyond. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Device RAM, bytes: /proc/meminfo MemTotal/MemAvailable (os.totalmem/freemem where there is none). */
function systemMemory(): { totalBytes: number; availableBytes: number } {
  try {
    const info = parseMeminfo(readFileSync("/proc/meminfo", "utf8"));
    if (info) return info;
  } catch {
    // not Linux: fall through
  }
  return { totalBytes: totalmem(), availableBytes: freemem() };
}

/**
 * Time-to-first-token buckets, seconds: 50 ms (a tiny model on a desktop) to 60 s (a 7B model's long
 * prompt on a Raspberry Pi 4, about 2–5 tokens/s of prompt processing per research/llm-fit.md).
 */
const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
/** Request duration buckets, seconds, up to the default 120 s request timeout. */
const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];

/**
 * Creates the registry behind `GET /metrics`: process metrics (memory, CPU, event loop; prom-client's
 * default collectors, prefixed `clawbox_`, without the three promtool flags) plus
 * - `clawbox_http_requests_total` (counter, labels method/route/status: every answered request, 4xx too),
 * - `clawbox_http_request_duration_seconds` (histogram, labels method/route),
 * - `clawbox_tokens_generated_total` (counter, completion tokens),
 * - `clawbox_prompt_tokens_total` (counter, prompt tokens the model processed),
 * - `clawbox_system_memory_total_bytes` / `clawbox_system_memory_available_bytes` (gauges, device RAM),
 * - `clawbox_tokens_per_second` (gauge, `inference.stats().lastTokensPerSecond`: the last completion's speed),
 * - `clawbox_time_to_first_token_seconds` (histogram; queue wait + prompt processing),
 * - `clawbox_request_duration_seconds` (histogram, label stream/status),
 * - `clawbox_queue_depth` and `clawbox_active_requests` (gauges read from `inference.stats()` at scrape time),
 * - `clawbox_model_loaded` (gauge 1/0 with label model).
 */
export function createServerMetrics(inference: InferenceService): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "clawbox_" });
  for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);

  const httpRequests = new Counter({
    name: "clawbox_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status (rejected ones included).",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "clawbox_http_request_duration_seconds",
    help: "HTTP request duration until the response was sent, by method and route pattern.",
    labelNames: ["method", "route"] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  const promptTokens = new Counter({
    name: "clawbox_prompt_tokens_total",
    help: "Prompt tokens of completed chat completions (what the model had to read).",
    registers: [registry],
  });
  for (const [name, help, field] of [
    ["clawbox_system_memory_total_bytes", "Device RAM, bytes (MemTotal).", "totalBytes"],
    [
      "clawbox_system_memory_available_bytes",
      "Device RAM available without swapping, bytes (MemAvailable).",
      "availableBytes",
    ],
  ] as const) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(systemMemory()[field]);
      },
    });
  }

  const tokens = new Counter({
    name: "clawbox_tokens_generated_total",
    help: "Completion tokens generated through the API.",
    registers: [registry],
  });
  new Gauge({
    name: "clawbox_tokens_per_second",
    help: "Generation speed of the most recent completion, tokens/s (the engine's own measurement).",
    registers: [registry],
    collect() {
      this.set(inference.stats().lastTokensPerSecond);
    },
  });
  const ttft = new Histogram({
    name: "clawbox_time_to_first_token_seconds",
    help: "Queue wait plus prompt processing until the first generated token.",
    buckets: TTFT_BUCKETS,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "clawbox_request_duration_seconds",
    help: "Chat completion requests, whole HTTP request duration.",
    labelNames: ["stream", "status"] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: "clawbox_queue_depth",
    help: "Chat completions waiting for the model.",
    registers: [registry],
    collect() {
      this.set(inference.stats().queueDepth);
    },
  });
  new Gauge({
    name: "clawbox_active_requests",
    help: "Chat completions being generated now.",
    registers: [registry],
    collect() {
      this.set(inference.stats().activeRequests);
    },
  });
  new Gauge({
    name: "clawbox_model_loaded",
    help: "1 when a model is loaded (label: its id), 0 otherwise.",
    labelNames: ["model"] as const,
    registers: [registry],
    collect() {
      this.reset();
      const model = inference.model;
      if (model) this.set({ model: model.id }, 1);
      else this.set({ model: "" }, 0);
    },
  });

  return {
    registry,
    observeCompletion(result, durationMs, stream) {
      tokens.inc(result.completionTokens);
      promptTokens.inc(result.promptTokens);
      ttft.observe(result.timeToFirstTokenMs / 1000);
      duration.observe({ stream: String(stream), status: "200" }, durationMs / 1000);
    },
    observeFailure(status, durationMs, stream) {
      duration.observe({ stream: String(stream), status: String(status) }, durationMs / 1000);
    },
    observeHttp(method, route, status, durationMs) {
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ method, route }, durationMs / 1000);
    },
  };
}
