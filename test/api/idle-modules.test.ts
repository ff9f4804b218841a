import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../support/test-model.js";
import { DEV_RUNTIME, requireBuiltCli, type StartedAgent, startCliOnModel } from "./cli-process.js";

/**
 * Libraries an idle agent without bridges must not load (each costs resident memory on a 1–8 GB device):
 * the bridge SDKs, imported by a bridge's create() only when a bridge of that type starts, the SSH client
 * of `clawbox fleet` and the mDNS stack of `clawbox recommend`.
 */
const NOT_AT_IDLE = [
  "@grammyjs/auto-retry",
  "@grammyjs/transformer-throttler",
  "@larksuiteoapi/node-sdk",
  "@slack/bolt",
  "@xmpp/client",
  "bonjour-service",
  "dingtalk-stream",
  "discord.js",
  "grammy",
  "imapflow",
  "irc-framework",
  "mailparser",
  "matrix-js-sdk",
  "nodemailer",
  "ssh2",
];

const PRELOAD = resolve(import.meta.dirname, "..", "support", "module-log.mjs");

/** Package names (`@scope/name` or `name`) under node_modules in a list of loaded files or URLs. */
function packagesIn(lines: string[]): Set<string> {
  const out = new Set<string>();
  for (const l of lines) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(l);
    if (m?.[1]) out.add(m[1]);
  }
  return out;
}

describe("an idle agent with no bridges configured", () => {
  let dataDir: string;
  let agent: StartedAgent;
  let log: string;

  beforeAll(async () => {
    requireBuiltCli();
    dataDir = mkdtempSync(join(tmpdir(), "clawbox-idle-modules-"));
    log = join(dataDir, "modules.log");
    const runtime = {
      ...DEV_RUNTIME,
      env: { NODE_OPTIONS: `--import ${PRELOAD}`, CLAWBOX_MODULE_LOG: log },
    };
    agent = await startCliOnModel(await testModelPath(), dataDir, 256, undefined, runtime);
    const health = await fetch(`${agent.url}/healthz`);
    expect(health.status).toBe(200);
    // The preload rewrites the CommonJS list every 200 ms; wait for one write after start-up.
    await new Promise((r) => setTimeout(r, 600));
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("has not loaded any bridge SDK, the SSH client or the mDNS stack", () => {
    const esm = readFileSync(log, "utf8").split("\n");
    const cjs = readFileSync(`${log}.cjs`, "utf8").split("\n");
    const loaded = packagesIn([...esm, ...cjs]);
    // The log must be live: what serves the API is in it, from both loaders.
    expect(packagesIn(esm).has("node-llama-cpp")).toBe(true);
    expect(packagesIn(cjs).has("fastify")).toBe(true);
    expect(NOT_AT_IDLE.filter((p) => loaded.has(p))).toEqual([]);
  });
});
