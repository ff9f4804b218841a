import { spawnSync } from "node:child_process";
import { CLI, requireBuiltCli } from "../api/cli-process.js";
import { median } from "./stats.js";

export interface CliBench {
  /** Median wall time of `clawbox --help` (the built CLI, spawned), ms. Goal ≤ 300 ms. */
  cliHelpMs: number;
  /** Median wall time of `node -e 0` measured alternately in the same run: Node's own start-up, ms. */
  nodeStartMs: number;
  /** cliHelpMs / nodeStartMs: what the CLI adds over Node, independent of how loaded the machine is. */
  cliHelpVsNodeStartRatio: number;
}

/** Times `clawbox --help` against a bare Node start, alternating 7 runs of each. */
export function benchCli(log: (line: string) => void): CliBench {
  requireBuiltCli();
  const time = (args: string[]): number => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: "ignore" });
    if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}`);
    return performance.now() - t0;
  };
  const help: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < 7; i++) {
    help.push(time([CLI, "--help"]));
    bare.push(time(["-e", "0"]));
  }
  const cliHelpMs = median(help);
  const nodeStartMs = median(bare);
  log(`clawbox --help ${cliHelpMs.toFixed(0)} ms, node -e 0 ${nodeStartMs.toFixed(0)} ms`);
  return { cliHelpMs, nodeStartMs, cliHelpVsNodeStartRatio: cliHelpMs / nodeStartMs };
}
