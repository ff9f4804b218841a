import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { TEST_THREADS } from "../support/test-model.js";

/** The built CLI; `npm test` builds first (`npm run build`). */
export const CLI = resolve(import.meta.dirname, "..", "..", "agent", "dist", "cli", "main.js");

/** Throws with the command to run when the CLI has not been built. */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
}

/**
 * Which Node binary runs which built CLI, with extra environment: by default this checkout's build on the
 * Node running the tests; a release's CLI on the device's pinned Node (test/image/release-runs.test.ts).
 */
export interface CliRuntime {
  node: string;
  cli: string;
  env?: NodeJS.ProcessEnv;
  /** Node's own flags, before the CLI's path (e.g. the agent unit's V8 flags). */
  nodeArgs?: string[];
}

/** This checkout's `agent/dist/cli/main.js` on the Node running the tests. */
export const DEV_RUNTIME: CliRuntime = { node: process.execPath, cli: CLI };

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `clawbox <args>` to completion (stdin from `input`), killing it after `timeoutMs`. */
export function runCli(
  args: string[],
  opts: { input?: string; timeoutMs?: number; runtime?: CliRuntime } = {},
): Promise<CliResult> {
  const runtime = opts.runtime ?? DEV_RUNTIME;
  return new Promise((resolveRun, reject) => {
    const child = spawn(runtime.node, [...(runtime.nodeArgs ?? []), runtime.cli, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...runtime.env, CLAWBOX_LOG_LEVEL: "warn" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`clawbox ${args.join(" ")} did not finish:\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** A `clawbox start` child process and what it printed. */
export interface StartedAgent {
  child: ChildProcess;
  /** The URL from the "clawbox listening on …" line (real port, also for --port 0). */
  url: string;
  /** The whole human line on stdout. */
  line: string;
  stderr(): string;
  /** Sends SIGTERM and resolves with the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * Spawns `clawbox start <args>` and resolves once it printed its listening line. Rejects with its stderr
 * when it exits first or prints nothing within `timeoutMs`.
 */
export function startCli(args: string[], timeoutMs = 60_000, runtime = DEV_RUNTIME): Promise<StartedAgent> {
  const child = spawn(runtime.node, [...(runtime.nodeArgs ?? []), runtime.cli, "start", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...runtime.env, CLAWBOX_LOG_LEVEL: "info" },
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return new Promise((resolveStart, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`clawbox start printed no listening line in time:\n${out}\n${stderr}`));
    }, timeoutMs);
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^clawbox listening on (http:\/\/\S+) .*$/m.exec(out);
      if (!m?.[1]) return;
      clearTimeout(timer);
      resolveStart({
        child,
        url: m[1],
        line: m[0],
        stderr: () => stderr,
        async stop(stopTimeoutMs = 15_000) {
          if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
          child.kill("SIGTERM");
          const kill = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
          const code = await exited;
          clearTimeout(kill);
          return code;
        },
      });
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`clawbox start exited with ${code} before listening:\n${out}\n${stderr}`));
    });
  });
}

/**
 * `clawbox start` on `modelPath` with a fresh `dataDir`, any free port, the test thread count and
 * `contextSize` tokens (see startCli for `timeoutMs` and `runtime`).
 */
export function startCliOnModel(
  modelPath: string,
  dataDir: string,
  contextSize: number,
  timeoutMs?: number,
  runtime?: CliRuntime,
): Promise<StartedAgent> {
  const args = ["--model", modelPath, "--port", "0", "--data-dir", dataDir];
  args.push("--threads", String(TEST_THREADS), "--context-size", String(contextSize));
  return startCli(args, timeoutMs, runtime);
}
