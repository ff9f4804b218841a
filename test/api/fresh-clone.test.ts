import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/**
 * A newcomer's first commands on a fresh clone: `git clone`, `npm ci`, then the README's
 * `npx --no-install clawbox --help`. `--no-install` makes npx fail instead of fetching a stranger's package of
 * that name when the workspace bin is not linked (npm links bins before `prepare` builds agent/dist, so the bin
 * must be a committed file: agent/bin/clawbox.js). The clone is of the committed HEAD; `npm ci` reads npm's
 * cache first (`--prefer-offline`), so it costs the install scripts and the build, not the downloads.
 */
const REPO = resolve(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "clawbox-fresh-clone-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 12 * 60_000 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe("fresh clone", () => {
  it("npm ci links the clawbox bin and npx --no-install runs it", { timeout: 15 * 60_000 }, () => {
    const clone = join(dir, "clawbox");
    execFileSync("git", ["clone", "--quiet", REPO, clone]);
    run("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], clone);
    const help = run("npx", ["--no-install", "clawbox", "--help"], clone);
    expect(help).toMatch(/^Usage: clawbox/m);
    for (const command of ["start", "detect", "recommend", "models", "fleet"])
      expect(help).toMatch(new RegExp(`^ {2}${command}\\b`, "m"));
  });
});
