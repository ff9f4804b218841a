import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { CliRuntime } from "../api/cli-process.js";
import { explain, ROOT, run } from "./tools.js";

/** Pinned Node packages and built native addons of release builds (image/make-release.sh's cache). */
const RELEASE_CACHE_DIR = join(ROOT, ".cache", "release");

/**
 * The device's pinned Node for `arch` (node-linux-<arch> from the npm registry, checked against the agent
 * role's SHA-512 by image/node-runtime.sh, the same code the release build runs): the `bin/node` path.
 * Throws with the script's output if it cannot be fetched or does not match its pin.
 */
function pinnedNode(arch: "x64" | "arm64"): string {
  const r = run("bash", [
    "-c",
    '. image/node-runtime.sh && node_runtime_dir "$1" "$2"',
    "-",
    arch,
    RELEASE_CACHE_DIR,
  ]);
  if (r.code !== 0) throw new Error(`the pinned Node for ${arch} is not available:\n${explain(r)}`);
  return join(r.stdout.trim(), "bin", "node");
}

/**
 * Builds the `arch` release with `image/make-release.sh <arch> cpu` into `workDir`, unpacks it into
 * `workDir/<arch>` and returns how to run its CLI on the device's pinned Node (`env` is passed to the build
 * and kept for the runtime, e.g. qemu-user's settings for arm64). Takes 1.5–20 min (image/README.md); throws
 * with the build's output when it fails.
 */
export function buildDeviceRelease(
  arch: "x64" | "arm64",
  workDir: string,
  env: NodeJS.ProcessEnv = {},
): CliRuntime {
  const archive = join(workDir, `release-${arch}.tar.gz`);
  const build = run("image/make-release.sh", [arch, "cpu", archive], {
    env: { ...process.env, ...env, CLAWBOX_RELEASE_CACHE_DIR: RELEASE_CACHE_DIR },
    timeoutMs: 20 * 60_000,
  });
  if (build.code !== 0) throw new Error(`image/make-release.sh ${arch} failed:\n${explain(build)}`);
  const dir = join(workDir, arch);
  mkdirSync(dir);
  const unpack = run("tar", ["-C", dir, "-xzf", archive]);
  if (unpack.code !== 0) throw new Error(`the ${arch} release does not unpack:\n${explain(unpack)}`);
  return { node: pinnedNode(arch), cli: join(dir, "agent", "dist", "cli", "main.js"), env };
}
