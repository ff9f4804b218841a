import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (test/image/tools.ts → ../..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Result of a finished child process: exit code (null when killed), stdout and stderr as UTF-8. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cmd args` synchronously (argument array, no shell) and returns its exit code and output.
 * `timeoutMs` kills it after that many milliseconds (default 5 min). Never throws for a non-zero exit;
 * throws only when the program cannot be started at all.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): RunResult {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Absolute path of `cmd` on $PATH (or the path itself when it contains a slash), or null. */
export function which(cmd: string): string | null {
  if (cmd.includes("/")) return existsSync(cmd) ? cmd : null;
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return null;
}

/**
 * Makes a gate fail (not skip) when its tool is missing, naming the Debian package that provides it,
 * so CI (.ci/run) can install it. Throws Error("… not found: apt-get install <package>").
 */
export function requireTool(cmd: string, aptPackage: string): string {
  const found = which(cmd);
  if (!found) throw new Error(`${cmd} not found: apt-get install ${aptPackage}`);
  return found;
}

/** Like requireTool for a file a Debian package installs (e.g. the refpolicy devel Makefile). */
export function requireFile(path: string, aptPackage: string): string {
  if (!existsSync(path)) throw new Error(`${path} not found: apt-get install ${aptPackage}`);
  return path;
}

/** Formats a failed run for an assertion message: the command's exit code and the tail of its output. */
export function explain(r: RunResult): string {
  const tail = (s: string) => s.split("\n").slice(-40).join("\n");
  return `exit ${r.code}\n--- stdout ---\n${tail(r.stdout)}\n--- stderr ---\n${tail(r.stderr)}`;
}
