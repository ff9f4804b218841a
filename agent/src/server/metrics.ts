import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { CompletionResult, InferenceService } from "../inference/types.js";

/** The agent's Prometheus metrics, on a registry of its own (never prom-client's global one). */
export interface ServerMetrics {
  registry: Registry;
  /** Records one finished chat completion. `durationMs` is the whole HTTP request, ms. */
  observeCompletion(result: CompletionResult, durationMs: number, stream: boolean): void;
  /** Counts a chat completion that ended in an error, by HTTP status. */
  observeFailure(status: number, durationMs: number, stream: boolean): void;
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
 * default collectors, prefixed `clawbox_`) plus
 * - `clawbox_tokens_generated_total` (counter, completion tokens),
 * - `clawbox_tokens_per_second` (gauge, `inference.stats().lastTokensPerSecond`: the last completion's speed),
 * - `clawbox_time_to_first_token_seconds` (histogram; queue wait + prompt processing),
 * - `clawbox_request_duration_seconds` (histogram, label stream/status),
 * - `clawbox_queue_depth` and `clawbox_active_requests` (gauges read from `inference.stats()` at scrape time),
 * - `clawbox_model_loaded` (gauge 1/0 with label model).
 */
export function createServerMetrics(inference: InferenceService): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "clawbox_" });

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
      ttft.observe(result.timeToFirstTokenMs / 1000);
      duration.observe({ stream: String(stream), status: "200" }, durationMs / 1000);
    },
    observeFailure(status, durationMs, stream) {
      duration.observe({ stream: String(stream), status: String(status) }, durationMs / 1000);
    },
  };
}
