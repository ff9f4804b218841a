import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CliRuntime } from "../api/cli-process.js";
import { rssBytes, startAgent } from "./agent-process.js";
import { median } from "./stats.js";

/** The device's agent unit: its memory tuning (agentUnitTuning) is what the bench runs the agent with. */
const AGENT_UNIT = resolve(import.meta.dirname, "..", "..", "image", "systemd", "clawbox-agent.service");

/** Requests of the API speed check after each RSS reading (8 clients; a quarter of it first as warm-up). */
const API_REQUESTS = 4_000;

/** After `/healthz` 200, how long the agent is left alone before VmRSS is read, ms (start-up work settles). */
const SETTLE_MS = 3_000;

/** How the agent unit runs Node: the memory-relevant environment and Node's own flags. */
export interface UnitTuning {
  /** NODE_OPTIONS and MALLOC_* of the unit's `Environment=` lines. */
  env: Record<string, string>;
  /** ExecStart's words between the Node binary and the CLI's path (V8 flags NODE_OPTIONS refuses). */
  nodeArgs: string[];
}

export interface IdleRssBench {
  /** The agent unit's tuning as one line, e.g. `MALLOC_ARENA_MAX=2 NODE_OPTIONS=… node --optimize-for-size`. */
  unitTuning: string;
  /** The Node the agent ran on, e.g. `Node 24.22.3, the device's, x64 release`. */
  nodeRuntime: string;
  /** Median VmRSS of the idle agent right after start-up with the unit's tuning, bytes. */
  idleRssBytes: number;
  /** GGUF file size, bytes: the weights' own share, whether mapped or read. */
  modelFileBytes: number;
  /** idleRssBytes − modelFileBytes: what the agent costs over the model. Goal ≤ 120 MiB: the idle budget the README's Benchmarks section sets. */
  idleRssOverModelBytes: number;
  /** The same with Node's defaults (no unit tuning), to show what the unit's settings save. */
  defaultFlagsIdleRssOverModelBytes: number;
  /** What the tuning costs in speed: median `GET /v1/models` req/s tuned ÷ on Node's defaults (1 = no cost). */
  tunedVsDefaultApiRequestsPerSecondRatio: number;
}

/** The unit's `Environment=NODE_OPTIONS=…` / `MALLOC_*=…` lines and ExecStart's Node flags. */
export function agentUnitTuning(unitText = readFileSync(AGENT_UNIT, "utf8")): UnitTuning {
  const env: Record<string, string> = {};
  for (const m of unitText.matchAll(/^Environment=((?:NODE_OPTIONS|MALLOC_[A-Z_]+))=(.*)$/gm))
    env[m[1] as string] = (m[2] ?? "").trim();
  const exec = /^ExecStart=(\S+)\s+(.*)$/m.exec(unitText)?.[2] ?? "";
  const words = exec.split(/\s+/);
  const cliAt = words.findIndex((w) => w.endsWith(".js"));
  return { env, nodeArgs: cliAt > 0 ? words.slice(0, cliAt) : [] };
}

/** A tuning as one shell-like line for the bench's output. */
export function describeTuning(t: UnitTuning): string {
  const env = Object.entries(t.env).map(([k, v]) => `${k}=${v}`);
  return [...env, "node", ...t.nodeArgs].join(" ");
}

/**
 * Idle resident memory of `clawbox start` on `model`, as the device runs it: the agent spawned (`--port 0`,
 * a temp data dir, no bridges) with the unit's environment and Node flags (agentUnitTuning), left idle
 * SETTLE_MS after its first `/healthz` 200, then VmRSS from /proc/<pid>/status. "Over the model" = VmRSS −
 * the GGUF's file size. Median of `runs` starts, alternating with starts on Node's defaults. `runtime` is the
 * agent to run (run.ts passes the x64 release on the device's pinned Node; Node's version and binary size
 * change the result by ~10 MiB), described by `runtimeName`. Throws if an agent does not become healthy.
 */
export async function benchIdleRss(
  model: string,
  log: (line: string) => void,
  runtime: CliRuntime,
  runtimeName: string,
  runs = 3,
): Promise<IdleRssBench> {
  const tuning = agentUnitTuning();
  const measure = async (env: NodeJS.ProcessEnv, nodeArgs: string[]) => {
    const a = await startAgent({ model, env, nodeArgs, runtime });
    try {
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const rss = rssBytes(a.agent.child.pid as number);
      return { rss, rps: await apiRequestsPerSecond(a.url, a.token) };
    } finally {
      await a.stop();
    }
  };
  // Node's defaults: the tuned variables unset (undefined: spawn leaves them out), so an inherited NODE_OPTIONS
  // or MALLOC_* cannot leak in; an empty MALLOC_MMAP_THRESHOLD_ would mean 0, every allocation an mmap.
  const untuned = Object.fromEntries(Object.keys(tuning.env).map((k) => [k, undefined]));
  const unit: number[] = [];
  const plain: number[] = [];
  const unitRps: number[] = [];
  const plainRps: number[] = [];
  for (let i = 0; i < runs; i++) {
    const u = await measure(tuning.env, tuning.nodeArgs);
    const p = await measure(untuned, []);
    unit.push(u.rss);
    plain.push(p.rss);
    unitRps.push(u.rps);
    plainRps.push(p.rps);
  }
  const modelFileBytes = readFileSync(model).byteLength;
  const idleRssBytes = median(unit);
  const MiB = 1024 * 1024;
  log(
    `idle RSS after start-up (MiB): unit tuning ${unit.map((b) => (b / MiB).toFixed(1)).join(", ")}; default ${plain.map((b) => (b / MiB).toFixed(1)).join(", ")}`,
  );
  log(
    `GET /v1/models req/s: unit tuning ${unitRps.map((r) => r.toFixed(0)).join(", ")}; default ${plainRps.map((r) => r.toFixed(0)).join(", ")}`,
  );
  return {
    unitTuning: describeTuning(tuning),
    nodeRuntime: runtimeName,
    idleRssBytes,
    modelFileBytes,
    idleRssOverModelBytes: idleRssBytes - modelFileBytes,
    defaultFlagsIdleRssOverModelBytes: median(plain) - modelFileBytes,
    tunedVsDefaultApiRequestsPerSecondRatio: median(unitRps) / median(plainRps),
  };
}

/** Warm-up, then requests/s of `GET /v1/models` (auth, routing, JSON: the agent's own JavaScript) from 8 clients. */
async function apiRequestsPerSecond(url: string, token: string, total = API_REQUESTS): Promise<number> {
  const get = () =>
    fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.arrayBuffer());
  for (let i = 0; i < total / 4; i++) await get();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = 0; i < total / 8; i++) await get();
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}
