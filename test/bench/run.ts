/**
 * `npm run bench [-- --json]`: every benchmark measured side by side in one run on this machine.
 * Prints human lines; with --json the last line is one JSON object with all numbers.
 * Goals (issue 2): apiVsDirectTokensPerSecondRatio ≥ 0.97, defaultVsBestThreadsRatio ≥ 0.95,
 * idleRssOverModelBytes ≤ 120 MiB, detectMs < 2000; (issue 4) bridgeMessagesPerSecond ≥ 2000 and
 * bridgeP99Ms ≤ 5; (issue 6) fleetStatus50Ms ≤ 2000; cliHelpMs ≤ 300 (a newcomer's first command).
 */
import { detectHardware } from "../../agent/src/hardware/detect.js";
import { testModelPath } from "../support/test-model.js";
import { benchBridges } from "./bridge-bench.js";
import { benchCli } from "./cli-bench.js";
import { benchFleet } from "./fleet-bench.js";
import { benchInference } from "./inference-bench.js";
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
    `idle RSS ${(inf.idleRssBytes / MiB).toFixed(1)} MiB = model ${(inf.modelFileBytes / MiB).toFixed(1)} MiB + ${(inf.idleRssOverModelBytes / MiB).toFixed(1)} MiB (goal ≤ 120 MiB over the model)`,
    `cold start ${inf.coldStartMs.toFixed(0)} ms; detect ${detectMs.toFixed(0)} ms (goal < 2000 ms)`,
  ];
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
  for (const l of lines) process.stdout.write(`${l}\n`);
  if (json) {
    const out = {
      apiVsDirectTokensPerSecondRatio: round(inf.apiVsDirectTokensPerSecondRatio),
      defaultVsBestThreadsRatio: round(inf.defaultVsBestThreadsRatio),
      idleRssBytes: inf.idleRssBytes,
      idleRssOverModelBytes: inf.idleRssOverModelBytes,
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
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
