import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuiltCli, runCli, type StartedAgent, startCli } from "../api/cli-process.js";
import { TEST_THREADS, testModelPath } from "../support/test-model.js";
import { until } from "../support/until.js";

/**
 * The Prometheus side of a real agent (`clawbox start` with the test model): its /metrics scrape passes
 * `promtool check metrics`, counts rejected requests, and has every metric the alert rules and the
 * Grafana dashboard query; the rules pass their `promtool test rules` unit tests and the scrape config
 * example passes `promtool check config`. promtool: Debian's prometheus package (.ci/run).
 */

const DEPLOY = resolve(import.meta.dirname, "..", "..", "deploy");
const RULES = join(DEPLOY, "prometheus", "clawbox.rules.yml");
const DASHBOARD = join(DEPLOY, "grafana", "clawbox.json");

let dir: string;
let agent: StartedAgent;
let token: string;
let scrape: string;

function promtool(args: string[], input?: string) {
  const r = spawnSync("promtool", args, { input, encoding: "utf8", timeout: 60_000 });
  if (r.error)
    throw new Error(`promtool did not run (${r.error.message}): install Debian's prometheus package`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Metric names (`clawbox_…`) in PromQL expressions, histogram suffixes kept. */
function metricNames(exprs: string[]): string[] {
  return [...new Set(exprs.flatMap((e) => e.match(/\bclawbox_[a-z0-9_]+/g) ?? []))].sort();
}

function dashboardExprs(): string[] {
  const dash = JSON.parse(readFileSync(DASHBOARD, "utf8")) as {
    panels: { targets: { expr: string }[] }[];
    templating: { list: { query?: unknown }[] };
  };
  const queries = dash.templating.list.map((v) => v.query).filter((q): q is string => typeof q === "string");
  return [...dash.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...queries];
}

beforeAll(async () => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), "clawbox-prom-"));
  const model = await testModelPath();
  agent = await startCli([
    ...["--model", model, "--port", "0", "--data-dir", dir],
    ...["--threads", String(TEST_THREADS), "--context-size", "256"],
  ]);
  await until(
    async () => (await fetch(`${agent.url}/healthz`).catch(() => null))?.status === 200,
    "agent healthy",
  );
  token = (await runCli(["token", "--data-dir", dir])).stdout.trim();
  const post = (body: unknown, auth = true) =>
    fetch(`${agent.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  // The measurement: 15 requests answered 400 used to leave no trace in /metrics.
  for (let i = 0; i < 15; i++) expect((await post({ messages: "not a list" })).status).toBe(400);
  expect((await post({ messages: [{ role: "user", content: "hi" }] }, false)).status).toBe(401);
  const ok = await post({ messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 8 });
  expect(ok.status).toBe(200);
  const res = await fetch(`${agent.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  scrape = await res.text();
});

afterAll(async () => {
  await agent?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a real /metrics scrape", () => {
  it("passes promtool check metrics", () => {
    const r = promtool(["check", "metrics"], scrape);
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  it("counts rejected requests by status and the prompt tokens", () => {
    const count = (status: number) =>
      new RegExp(
        `^clawbox_http_requests_total\\{method="POST",route="/v1/chat/completions",status="${status}"\\} (\\d+)$`,
        "m",
      ).exec(scrape)?.[1];
    expect(count(400)).toBe("15");
    expect(count(401)).toBe("1");
    expect(count(200)).toBe("1");
    const prompt = Number(/^clawbox_prompt_tokens_total (\d+)$/m.exec(scrape)?.[1]);
    expect(prompt).toBeGreaterThan(0);
  });

  it("has every metric the alert rules and the Grafana dashboard query", () => {
    const exported = new Set(
      scrape
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0]),
    );
    const wanted = metricNames([readFileSync(RULES, "utf8"), ...dashboardExprs()]);
    expect(wanted.length).toBeGreaterThan(8);
    expect(wanted.filter((name) => !exported.has(name))).toEqual([]);
  });
});

describe("deploy/prometheus", () => {
  it("the alert rules pass their promtool unit tests", () => {
    const r = promtool(["test", "rules", join(DEPLOY, "prometheus", "clawbox.rules.test.yml")]);
    expect(r.out).toContain("SUCCESS");
    expect(r.code).toBe(0);
  });

  it("the scrape config example passes promtool check config (with its files present)", () => {
    const tmp = mkdtempSync(join(tmpdir(), "clawbox-promcfg-"));
    try {
      copyFileSync(RULES, join(tmp, "clawbox.rules.yml"));
      writeFileSync(join(tmp, "token"), "cbx_example\n", { mode: 0o600 });
      spawnSync("openssl", [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
        ...["-subj", "/CN=clawbox.local", "-days", "1", "-keyout", join(tmp, "key.pem")],
        ...["-out", join(tmp, "ca.pem")],
      ]);
      const config = readFileSync(join(DEPLOY, "prometheus", "prometheus.example.yml"), "utf8")
        .replace("/etc/prometheus/clawbox-token", join(tmp, "token"))
        .replace("/etc/prometheus/clawbox-ca.pem", join(tmp, "ca.pem"));
      writeFileSync(join(tmp, "prometheus.yml"), config);
      const r = promtool(["check", "config", join(tmp, "prometheus.yml")]);
      expect(r.out).toContain("SUCCESS: 4 rules found");
      expect(r.code).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
