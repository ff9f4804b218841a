import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const CLI = resolve(import.meta.dirname, "..", "..", "agent", "dist", "cli", "main.js");

/** A real `clawbox start` child process on a free loopback port with its own data dir. */
export interface AgentProcess {
  child: ChildProcess;
  url: string;
  token: string;
  dataDir: string;
  /** Spawn → first `/healthz` 200, ms. */
  coldStartMs: number;
  stop(): Promise<void>;
}

/**
 * Starts the built agent (`agent/dist/cli/main.js start --port 0`), waits until `/healthz` answers 200 and
 * reads the API token from the data dir. Throws if the process exits or is not healthy within `timeoutMs`.
 */
export async function startAgent(opts: {
  model: string;
  args?: string[];
  timeoutMs?: number;
}): Promise<AgentProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "clawbox-bench-"));
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [CLI, "start", "--model", opts.model, "--port", "0", "--data-dir", dataDir, ...(opts.args ?? [])],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CLAWBOX_LOG_LEVEL: "warn" } },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = "";
    const timer = setTimeout(
      () => reject(new Error(`agent did not print its URL in time:\n${stderr}`)),
      30_000,
    );
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code}:\n${stderr}`));
    });
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`agent not healthy in time:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const coldStartMs = performance.now() - t0;
  const token = readFileSync(join(dataDir, "api-token"), "utf8").trim();
  return {
    child,
    url,
    token,
    dataDir,
    coldStartMs,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
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
