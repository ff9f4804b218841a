import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readApiToken } from "../../agent/src/server/api-token.js";
import { type CliRuntime, DEV_RUNTIME, type StartedAgent, startCli } from "../api/cli-process.js";

/** A real `clawbox start` child process on a free loopback port with its own data dir. */
export interface AgentProcess {
  agent: StartedAgent;
  url: string;
  token: string;
  /** Spawn → first `/healthz` 200, ms. */
  coldStartMs: number;
  stop(): Promise<void>;
}

/**
 * Starts the built agent on `model` (`--port 0`, a temp data dir, the agent's own runtime choices),
 * polls `/healthz` every 5 ms until 200 and reads the API token from the data dir.
 * Throws if the process exits or is not healthy within `timeoutMs`. `env` is added to the child's environment
 * (e.g. NODE_OPTIONS) and `nodeArgs` go to Node before the CLI's path (e.g. V8 flags); `runtime` is the Node
 * and CLI to run (default: this checkout's CLI on the Node running the bench).
 */
export async function startAgent(opts: {
  model: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  nodeArgs?: string[];
  runtime?: CliRuntime;
}): Promise<AgentProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "clawbox-bench-"));
  const t0 = performance.now();
  const agent = await startCli(["--model", opts.model, "--port", "0", "--data-dir", dataDir], undefined, {
    ...(opts.runtime ?? DEV_RUNTIME),
    env: { ...opts.runtime?.env, ...opts.env },
    nodeArgs: opts.nodeArgs,
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const ok = await fetch(`${agent.url}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`agent not healthy in time:\n${agent.stderr()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const coldStartMs = performance.now() - t0;
  return {
    agent,
    url: agent.url,
    token: readApiToken(dataDir) ?? "",
    coldStartMs,
    async stop() {
      await agent.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resident set size of a process in bytes, from /proc/<pid>/status VmRSS (kB). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}
