/**
 * `npm run bench [-- --json]`: every benchmark measured side by side in one run on this machine.
 * Prints human lines; with --json the last line is one JSON object with all numbers.
 * Goals (inference): apiVsDirectTokensPerSecondRatio ≥ 0.97, defaultVsBestThreadsRatio ≥ 0.95,
 * idleRssOverModelBytes ≤ 120 MiB (idle after start-up, as the device runs it: the x64 release from image/make-release.sh
 * on the device's pinned Node with the agent unit's memory tuning, idle-rss-bench.ts), detectMs < 2000; (bridges) bridgeMessagesPerSecond ≥ 2000 and
 * bridgeP99Ms ≤ 5; (fleet) fleetStatus50Ms ≤ 2000; cliHelpMs ≤ 300 (a newcomer's first command). On a random-weight GGUF of Qwen2.5-0.5B's shape
 * in Q8_0 (test/support/realistic-gguf.ts, generated once into ~/.cache/clawbox/bench), aggregate tokens/s of
 * 1/2/4/8 concurrent streams with their p99 time to first token, the sessions held with p99 TTFT < 2 s, and
 * the API-vs-direct ratio on that model too. `--no-realistic` skips that part (it takes minutes).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detectHardware } from "../../agent/src/hardware/detect.js";
import { buildDeviceRelease } from "../image/device-release.js";
import { pinnedNodeVersion } from "../image/node-pin.js";
import { writeRealisticGguf } from "../support/realistic-gguf.js";
import { testModelPath } from "../support/test-model.js";
import { benchBridges } from "./bridge-bench.js";
import { benchCli } from "./cli-bench.js";
import { benchConcurrency, type ConcurrencyBenchResult } from "./concurrency-bench.js";
import { benchFleet } from "./fleet-bench.js";
import { benchIdleRss, type IdleRssBench } from "./idle-rss-bench.js";
import { benchInference, type InferenceBenchResult } from "./inference-bench.js";
import { median, round } from "./stats.js";

const json = process.argv.includes("--json");
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function main(): Promise<void> {
  const model = await testModelPath();
  log(`model ${model}`);

  const detectRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await detectHardware();
    detectRuns.push(performance.now() - t0);
  }
  const detectMs = median(detectRuns);
  log(`detect: ${detectMs.toFixed(0)} ms`);

  const inf = await benchInference(model, log);
  const MiB = 1024 * 1024;
  const lines = [
    `api vs direct tokens/s: ${inf.apiTokensPerSecond.toFixed(1)} / ${inf.directTokensPerSecond.toFixed(1)} = ${inf.apiVsDirectTokensPerSecondRatio.toFixed(3)} (goal ≥ 0.97)`,
    `agent threads ${inf.agentThreads} vs best ${inf.bestThreads}: ratio ${inf.defaultVsBestThreadsRatio.toFixed(3)} (goal ≥ 0.95)`,
    `RSS after serving (Node's default flags) ${(inf.idleRssBytes / MiB).toFixed(1)} MiB = model ${(inf.modelFileBytes / MiB).toFixed(1)} MiB + ${(inf.idleRssOverModelBytes / MiB).toFixed(1)} MiB`,
    `cold start ${inf.coldStartMs.toFixed(0)} ms; detect ${detectMs.toFixed(0)} ms (goal < 2000 ms)`,
  ];
  // Idle memory as the device has it: Node's version alone moves it by ~10 MiB (its binary's resident pages).
  const releaseDir = mkdtempSync(join(tmpdir(), "clawbox-bench-release-"));
  let idle: IdleRssBench;
  try {
    log("building the x64 release (image/make-release.sh x64) to measure idle RSS on the device's Node");
    const release = buildDeviceRelease("x64", releaseDir);
    idle = await benchIdleRss(model, log, release, `Node ${pinnedNodeVersion()}, the device's, x64 release`);
  } finally {
    rmSync(releaseDir, { recursive: true, force: true });
  }
  lines.push(
    `idle RSS after start-up ${(idle.idleRssBytes / MiB).toFixed(1)} MiB = model ${(idle.modelFileBytes / MiB).toFixed(1)} MiB + ${(idle.idleRssOverModelBytes / MiB).toFixed(1)} MiB (goal ≤ 120 MiB over the model; ${idle.nodeRuntime}; the agent unit's "${idle.unitTuning}", ${(idle.defaultFlagsIdleRssOverModelBytes / MiB).toFixed(1)} MiB with Node's defaults; API req/s tuned vs defaults ${idle.tunedVsDefaultApiRequestsPerSecondRatio.toFixed(3)})`,
  );
  const bridges = await benchBridges(log);
  lines.push(
    `bridge (WebSocket, echo model): ${bridges.bridgeMessagesPerSecond.toFixed(0)} messages/s (goal ≥ 2000), added latency p50 ${bridges.bridgeP50Ms.toFixed(2)} ms, p99 ${bridges.bridgeP99Ms.toFixed(2)} ms (goal ≤ 5 ms)`,
  );
  const fleet = await benchFleet(log);
  lines.push(
    `fleet status over SSH: 10 hosts ${fleet.fleetStatus10Ms.toFixed(0)} ms, 50 hosts ${fleet.fleetStatus50Ms.toFixed(0)} ms (goal ≤ 2000 ms for 50)`,
  );
  const cli = benchCli(log);
  lines.push(
    `clawbox --help ${cli.cliHelpMs.toFixed(0)} ms (goal ≤ 300 ms) = ${cli.cliHelpVsNodeStartRatio.toFixed(2)} × Node's own start (${cli.nodeStartMs.toFixed(0)} ms)`,
  );
  let realistic: { inf: InferenceBenchResult; conc: ConcurrencyBenchResult } | null = null;
  if (!process.argv.includes("--no-realistic")) {
    const path = writeRealisticGguf();
    log(`realistic-shape model ${path}`);
    const conc = await benchConcurrency(path, log);
    const rInf = await benchInference(path, log, {
      maxTokens: 16,
      reps: 3,
      warmup: 2,
      sweepReps: 1,
      maxSweepThreads: 2,
      coldStarts: 1,
    });
    realistic = { inf: rInf, conc };
    lines.push(
      `realistic shape (Qwen2.5-0.5B, Q8_0): api vs direct tokens/s ${rInf.apiTokensPerSecond.toFixed(1)} / ${rInf.directTokensPerSecond.toFixed(1)} = ${rInf.apiVsDirectTokensPerSecondRatio.toFixed(3)}`,
      `realistic shape concurrent streams: ${conc.levels.map((l) => `${l.streams} → ${l.tokensPerSecond.toFixed(1)} tokens/s (p99 TTFT ${l.p99TimeToFirstTokenMs.toFixed(0)} ms)`).join(", ")}`,
      `realistic shape: ${conc.sessionsUnderTtftLimit} concurrent sessions with p99 TTFT < ${conc.ttftLimitMs} ms on this machine (seeds ask 50 per node)`,
    );
  }
  for (const l of lines) process.stdout.write(`${l}\n`);
  if (json) {
    const out = {
      apiVsDirectTokensPerSecondRatio: round(inf.apiVsDirectTokensPerSecondRatio),
      defaultVsBestThreadsRatio: round(inf.defaultVsBestThreadsRatio),
      idleRssBytes: idle.idleRssBytes,
      idleRssOverModelBytes: idle.idleRssOverModelBytes,
      defaultFlagsIdleRssOverModelBytes: idle.defaultFlagsIdleRssOverModelBytes,
      tunedVsDefaultApiRequestsPerSecondRatio: idle.tunedVsDefaultApiRequestsPerSecondRatio,
      servedRssBytes: inf.idleRssBytes,
      servedRssOverModelBytes: inf.idleRssOverModelBytes,
      coldStartMs: Math.round(inf.coldStartMs),
      apiTokensPerSecond: round(inf.apiTokensPerSecond, 1),
      directTokensPerSecond: round(inf.directTokensPerSecond, 1),
      agentThreads: inf.agentThreads,
      bestThreads: inf.bestThreads,
      threadSweepTokensPerSecond: Object.fromEntries(
        Object.entries(inf.threadSweep).map(([k, v]) => [k, round(v, 1)]),
      ),
      detectMs: Math.round(detectMs),
      bridgeMessagesPerSecond: Math.round(bridges.bridgeMessagesPerSecond),
      bridgeP50Ms: round(bridges.bridgeP50Ms, 2),
      bridgeP99Ms: round(bridges.bridgeP99Ms, 2),
      fleetStatus10Ms: Math.round(fleet.fleetStatus10Ms),
      fleetStatus50Ms: Math.round(fleet.fleetStatus50Ms),
      cliHelpMs: Math.round(cli.cliHelpMs),
      nodeStartMs: Math.round(cli.nodeStartMs),
      cliHelpVsNodeStartRatio: round(cli.cliHelpVsNodeStartRatio),
      ...(realistic ? realisticJson(realistic.inf, realistic.conc) : {}),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
}

/** The realistic-shape model's numbers, keyed by stream count where they are per level. */
function realisticJson(inf: InferenceBenchResult, conc: ConcurrencyBenchResult) {
  const byStreams = (f: (l: ConcurrencyBenchResult["levels"][number]) => number) =>
    Object.fromEntries(conc.levels.map((l) => [String(l.streams), f(l)]));
  return {
    concurrentTokensPerSecond: byStreams((l) => round(l.tokensPerSecond, 1)),
    concurrentP99TimeToFirstTokenMs: byStreams((l) => Math.round(l.p99TimeToFirstTokenMs)),
    sessionsUnder2sP99TimeToFirstToken: conc.sessionsUnderTtftLimit,
    realisticApiVsDirectTokensPerSecondRatio: round(inf.apiVsDirectTokensPerSecondRatio),
    realisticApiTokensPerSecond: round(inf.apiTokensPerSecond, 1),
    realisticDirectTokensPerSecond: round(inf.directTokensPerSecond, 1),
  };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
