/**
 * `npx tsx test/bench/thread-crossover.ts [--sweeps 3] [--sizes 1,4,16,64,256] [--blocks 8] [--threads 1,2,3,4]
 * [--tokens 64] [--reps 3] [--budget-ms 8000] [--keep]`
 *
 * Measures where a second (third, …) llama.cpp thread starts to pay for generation on this machine: for
 * random-weight `llama` GGUFs of about `--sizes` MB of f32 weights (test/support/tiny-gguf.ts, `--blocks`
 * transformer blocks, feed-forward = 8/3 × embedding length as in Llama), greedy generation tokens/s with
 * each thread count, via node-llama-cpp directly: one warm-up, then the median of `--reps` completions of
 * `--tokens` tokens (a run is stopped after `--budget-ms` and counts the tokens it made by then: oversubscribed
 * thread counts can be 100× slower), a fresh context per thread count. The whole sweep is repeated `--sweeps` times (load
 * average printed each time: the machine is shared) and the table gives the median and min–max of the
 * sweeps. Also measures ../shared/models/stories260K.gguf when it exists. Generated files are deleted at the
 * end unless `--keep`.
 * On a shared machine the other processes decide the result (llama.cpp's spin barriers stall whenever a core
 * is busy elsewhere). To measure a device whose cores are free, run it as root under `chrt -r 1 npx tsx …`
 * with `--threads 1,2` (no more threads than cores: oversubscribed real-time threads spin for whole time
 * slices); the kernel's RT throttling (sched_rt_runtime_us, 95 %) keeps the rest of the system running.
 * Results and the rule derived from them: MIN_WEIGHT_BYTES_PER_THREAD in agent/src/hardware/profiles.ts.
 */
import { existsSync, statSync, unlinkSync } from "node:fs";
import { loadavg } from "node:os";
import { getLlama, LlamaCompletion, LlamaLogLevel, type LlamaModel } from "node-llama-cpp";
import { SHARED_TEST_MODEL_PATH } from "../support/test-model.js";
import { writeTinyGguf } from "../support/tiny-gguf.js";
import { median } from "./stats.js";

const PROMPT = "Once upon a time";
const MB = 1e6;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}
const numbers = (s: string) => s.split(",").map(Number);

const sweeps = Number(arg("sweeps", "3"));
const sizesMB = numbers(arg("sizes", "1,4,16,64,256"));
const blocks = Number(arg("blocks", "8"));
const threadCounts = numbers(arg("threads", "1,2,3,4"));
const maxTokens = Number(arg("tokens", "64"));
const reps = Number(arg("reps", "3"));
const budgetMs = Number(arg("budget-ms", "8000"));
const keep = process.argv.includes("--keep");
const log = (line: string) => process.stderr.write(`[crossover] ${line}\n`);

interface Row {
  label: string;
  path: string;
  generated: boolean;
  /** Tensor bytes ≈ file size (the header is a few KB). */
  fileBytes: number;
  /** tokens/s per thread count, one entry per sweep. */
  runs: Map<number, number[]>;
}

/**
 * Embedding length for about `targetBytes` of f32 weights in `nBlock` blocks: a block holds
 * 4·e² (attention) + 3·e·(8e/3) (SwiGLU) = 12·e² floats = 48·e² bytes; plus 2 × 260 × e × 4 bytes of
 * token embedding and output. Rounded to a multiple of 16 (head count 4, head size a multiple of 4).
 */
function embeddingFor(targetBytes: number, nBlock: number): number {
  const e = Math.sqrt(targetBytes / (48 * nBlock));
  return Math.max(16, Math.round(e / 16) * 16);
}

async function tokensPerSecond(model: LlamaModel, threads: number): Promise<number> {
  const context = await model.createContext({ contextSize: 512, threads: { ideal: threads, min: threads } });
  const runs: number[] = [];
  try {
    for (let i = 0; i <= reps; i++) {
      const sequence = context.getSequence();
      const completion = new LlamaCompletion({ contextSequence: sequence });
      let tokens = 0;
      const t0 = performance.now();
      await completion.generateCompletion(PROMPT, {
        maxTokens,
        temperature: 0,
        signal: AbortSignal.timeout(budgetMs),
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

async function main(): Promise<void> {
  const rows: Row[] = [];
  if (existsSync(SHARED_TEST_MODEL_PATH)) {
    rows.push({
      label: "stories260K (5 blocks, e 64)",
      path: SHARED_TEST_MODEL_PATH,
      generated: false,
      fileBytes: statSync(SHARED_TEST_MODEL_PATH).size,
      runs: new Map(),
    });
  }
  for (const mb of sizesMB) {
    const e = embeddingFor(mb * MB, blocks);
    const ff = Math.round((e * 8) / 3 / 16) * 16;
    const path = await writeTinyGguf({ embeddingLength: e, blockCount: blocks, feedForwardLength: ff });
    rows.push({
      label: `random ${blocks} blocks, e ${e}, ff ${ff}`,
      path,
      generated: true,
      fileBytes: statSync(path).size,
      runs: new Map(),
    });
    log(`generated ${path} (${(statSync(path).size / MB).toFixed(1)} MB)`);
  }

  const llama = await getLlama({ gpu: false, build: "never", maxThreads: 0, logLevel: LlamaLogLevel.error });
  try {
    for (let s = 0; s < sweeps; s++) {
      log(
        `sweep ${s + 1}/${sweeps}, load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(" ")}`,
      );
      for (const row of rows) {
        const model = await llama.loadModel({ modelPath: row.path });
        try {
          const line: string[] = [];
          for (const t of threadCounts) {
            const tps = await tokensPerSecond(model, t);
            const list = row.runs.get(t) ?? [];
            list.push(tps);
            row.runs.set(t, list);
            line.push(`${t}: ${tps.toFixed(1)}`);
          }
          log(`  ${(row.fileBytes / MB).toFixed(1)} MB ${row.label}: ${line.join("  ")}`);
        } finally {
          await model.dispose();
        }
      }
    }
  } finally {
    await llama.dispose();
    if (!keep) for (const row of rows) if (row.generated) unlinkSync(row.path);
  }

  // Table: median (min–max) tokens/s per thread count, and each count's median speed relative to 1 thread.
  const header = ["file MB", "model", ...threadCounts.map((t) => `${t} thr tok/s`), "2÷1", "best"];
  const out = [header.join(" | ")];
  for (const row of rows) {
    const med = (t: number) => median(row.runs.get(t) ?? [0]);
    const cells = threadCounts.map((t) => {
      const v = row.runs.get(t) ?? [0];
      return `${med(t).toFixed(1)} (${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)})`;
    });
    const best = threadCounts.reduce((a, b) => (med(b) > med(a) ? b : a));
    const ratio = threadCounts.includes(2) && threadCounts.includes(1) ? (med(2) / med(1)).toFixed(2) : "-";
    out.push([(row.fileBytes / MB).toFixed(1), row.label, ...cells, ratio, String(best)].join(" | "));
  }
  process.stdout.write(`${out.join("\n")}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`thread-crossover failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
