import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../config/load-config.js";
import { UserError } from "../errors.js";
import { collectDeviceStatus } from "../fleet/device-status.js";
import { formatDeviceStatus } from "../fleet/status-table.js";
import { detectHardware } from "../hardware/detect.js";
import { loadProfiles } from "../hardware/profiles.js";
import type { InferenceService } from "../inference/types.js";
import { ManualClock } from "../jobs/clock.js";
import { agentUrlPath, readAgentUrl } from "../server/agent-url.js";
import { readApiToken } from "../server/api-token.js";
import { type RunningAgent, startAgent } from "./start-agent.js";

/**
 * An engine that never has a model (the HTTP paths with a model are covered in build-server.test.ts and,
 * with the real engine, in test/api). It records close() so the cleanup order can be checked.
 */
function emptyEngine(log: string[]): InferenceService {
  return {
    model: null,
    async load(spec) {
      throw new UserError(`cannot load ${spec.path}`, { status: 400 });
    },
    async complete() {
      throw new Error("no model");
    },
    countTokens: () => 0,
    stats: () => ({ queueDepth: 0, activeRequests: 0, tokensGenerated: 0, lastTokensPerSecond: 0 }),
    async close() {
      log.push("inference closed");
    },
  };
}

let dir: string;
let running: RunningAgent[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-start-"));
});
afterEach(async () => {
  for (const a of running) await a.close();
  running = [];
  rmSync(dir, { recursive: true, force: true });
});

async function start(
  over: { port?: number; model?: string; log?: string[]; clock?: ManualClock } = {},
): Promise<RunningAgent> {
  const config = defaultConfig();
  config.dataDir = dir;
  config.server.port = over.port ?? 0;
  if (over.model) config.model = over.model;
  const agent = await startAgent({
    config,
    logger: pino({ level: "silent" }),
    detect: () => detectHardware({ modelsDir: join(dir, "models") }),
    profiles: loadProfiles(),
    clock: over.clock,
    createInference: () => emptyEngine(over.log ?? []),
    resolveStoreId: (id) => {
      throw new UserError(`model ${id} is not in the store`, { status: 404 });
    },
  });
  running.push(agent);
  return agent;
}

describe("startAgent", () => {
  it("starts without a model: token, database, URL record with the real port, healthz 503", async () => {
    const agent = await start();
    expect(agent.port).toBeGreaterThan(0);
    expect(agent.url).toBe(`http://127.0.0.1:${agent.port}`);
    expect(readAgentUrl(dir)).toBe(agent.url);
    expect(readApiToken(dir)).toMatch(/^cbx_/);
    expect(existsSync(join(dir, "clawbox.db"))).toBe(true);
    expect(agent.runtime.threads).toBeGreaterThanOrEqual(1);
    const res = await fetch(`${agent.url}/healthz`);
    expect(res.status).toBe(503);
  });

  it("starts the job scheduler; `clawbox status` shows each job's next and last run", async () => {
    const clock = new ManualClock(new Date("2026-01-10T12:00:00Z"));
    const agent = await start({ clock });
    await clock.advanceTo(new Date("2026-01-11T03:45:00Z"));
    const status = await collectDeviceStatus({ dataDir: dir, thermalDir: join(dir, "none") });
    const byName = Object.fromEntries((status.jobs ?? []).map((j) => [j.name, j]));
    expect(Object.keys(byName)).toEqual(["retention", "sqlite-maintenance", "sqlite-integrity", "backup"]);
    expect(byName["sqlite-maintenance"]?.lastRun?.ok).toBe(true);
    expect(byName.backup?.lastRun?.result).toBe("skipped: no backup passphrase set");
    expect(new Date(byName.retention?.nextRun ?? 0).getTime()).toBeGreaterThan(clock.now());
    const text = formatDeviceStatus(status);
    expect(text).toMatch(/^jobs \(.+\):$/m);
    expect(text).toMatch(
      /^ {2}retention +next 2026-01-1\dT\d\d:00:00\.000Z {2}last 2026-01-11T.* ok: deleted 0 conversations/m,
    );
    await agent.close();
    expect(clock.pending()).toEqual([]);
  });

  it("stops gracefully: closes the engine, removes the URL record, stops listening; twice is harmless", async () => {
    const log: string[] = [];
    const agent = await start({ log });
    await agent.close();
    await agent.close();
    expect(log).toEqual(["inference closed"]);
    expect(existsSync(agentUrlPath(dir))).toBe(false);
    await expect(fetch(`${agent.url}/healthz`)).rejects.toThrow();
  });

  it("refuses a port in use with a UserError that says what to do", async () => {
    const first = await start();
    const log: string[] = [];
    const err = await start({ port: first.port, log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(`port ${first.port} is in use`);
    expect((err as UserError).fix).toMatch(/--port/);
    expect(log).toEqual(["inference closed"]);
    expect(readAgentUrl(dir)).toBe(first.url);
  });

  it("fails to start when the configured model cannot be found", async () => {
    const err = await start({ model: join(dir, "missing.gguf") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain("does not exist");
    expect(readAgentUrl(dir)).toBeNull();
  });
});
