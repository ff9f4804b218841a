import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { rssBytes, startAgent } from "./agent-process.js";
import { median } from "./stats.js";

/** The device's agent unit: its NODE_OPTIONS line is what the bench runs the agent with. */
const AGENT_UNIT = resolve(import.meta.dirname, "..", "..", "image", "systemd", "clawbox-agent.service");

/** After `/healthz` 200, how long the agent is left alone before VmRSS is read, ms (start-up work settles). */
const SETTLE_MS = 3_000;

export interface IdleRssBench {
  /** NODE_OPTIONS from the agent unit ("" when it sets none). */
  nodeOptions: string;
  /** Median VmRSS of the idle agent right after start-up, bytes. */
  idleRssBytes: number;
  /** GGUF file size, bytes: the weights' own share, whether mapped or read. */
  modelFileBytes: number;
  /** idleRssBytes − modelFileBytes: what the agent costs over the model. Goal ≤ 120 MiB: the idle budget the README's Benchmarks section sets. */
  idleRssOverModelBytes: number;
  /** The same with Node's default V8 flags (no NODE_OPTIONS), to show what the unit's flags save. */
  defaultFlagsIdleRssOverModelBytes: number;
}

/** `Environment=NODE_OPTIONS=…` of the agent unit, or "" without one. */
export function agentUnitNodeOptions(unitText = readFileSync(AGENT_UNIT, "utf8")): string {
  return /^Environment=NODE_OPTIONS=(.*)$/m.exec(unitText)?.[1]?.trim() ?? "";
}

/**
 * Idle resident memory of `clawbox start` on `model`, as the device runs it: the agent spawned (`--port 0`,
 * a temp data dir, no bridges) with the unit's NODE_OPTIONS, left idle SETTLE_MS after its first `/healthz`
 * 200, then VmRSS from /proc/<pid>/status. "Over the model" = VmRSS − the GGUF's file size. Median of `runs`
 * starts, alternating with starts on Node's default flags. Throws if an agent does not become healthy.
 */
export async function benchIdleRss(
  model: string,
  log: (line: string) => void,
  runs = 3,
): Promise<IdleRssBench> {
  const nodeOptions = agentUnitNodeOptions();
  const measure = async (env: NodeJS.ProcessEnv) => {
    const a = await startAgent({ model, env });
    try {
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      return rssBytes(a.agent.child.pid as number);
    } finally {
      await a.stop();
    }
  };
  const unit: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < runs; i++) {
    unit.push(await measure({ NODE_OPTIONS: nodeOptions }));
    plain.push(await measure({ NODE_OPTIONS: "" }));
  }
  const modelFileBytes = readFileSync(model).byteLength;
  const idleRssBytes = median(unit);
  const MiB = 1024 * 1024;
  log(
    `idle RSS after start-up (MiB): unit flags ${unit.map((b) => (b / MiB).toFixed(1)).join(", ")}; default ${plain.map((b) => (b / MiB).toFixed(1)).join(", ")}`,
  );
  return {
    nodeOptions,
    idleRssBytes,
    modelFileBytes,
    idleRssOverModelBytes: idleRssBytes - modelFileBytes,
    defaultFlagsIdleRssOverModelBytes: median(plain) - modelFileBytes,
  };
}
