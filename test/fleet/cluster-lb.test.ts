import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { readApiToken } from "../../agent/src/server/api-token.js";
import { testModelPath } from "../support/test-model.js";
import {
  agentctl,
  installRelease,
  makeDevice,
  makeTestRelease,
  REPO,
  type TestDevice,
  waitHealthy,
} from "./devices.js";
import { freePort, makeClientKey, startSshd, waitForPort } from "./sshd.js";

/**
 * ansible/cluster-lb.yml against a real nginx on loopback in front of two devices (sshd + agent each):
 * the play installs one pool token on both, measures tokens/s, writes the upstream (least_conn, weights,
 * passive health checks) and reloads nginx; requests through nginx are spread over both devices, and
 * with one agent stopped they keep succeeding.
 */

const NGINX = "/usr/sbin/nginx";
let dir: string;
let nginx: ChildProcess;
let lbPort: number;
let confFile: string;
let playOut = "";
let playCode: number | null = null;
const devices: TestDevice[] = [];
const poolToken = `cbx_${randomBytes(32).toString("base64url")}`;

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ANSIBLE_NOCOLOR: "1", SSH_AUTH_SOCK: "" } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("exit", (code) => resolve({ code, out }));
  });
}

function chat(): Promise<number> {
  return fetch(`http://127.0.0.1:${lbPort}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${poolToken}`, "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 4 }),
  }).then(
    (r) => r.status,
    () => 0,
  );
}

async function generated(d: TestDevice): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${d.httpPort}/admin/status`, {
    headers: { authorization: `Bearer ${poolToken}` },
  });
  return ((await res.json()) as { stats: { tokensGenerated: number } }).stats.tokensGenerated;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-cluster-lb-"));
  const key = makeClientKey(join(dir, "client"));
  const knownHosts = join(dir, "known_hosts");
  const model = await testModelPath();
  const archive = makeTestRelease(dir, "1.0.0-lb");
  const lines: string[] = [];
  for (const name of ["pool-a", "pool-b"]) {
    const sshd = await startSshd(join(dir, `sshd-${name}`), [key.publicLine]);
    lines.push(sshd.knownHostsLine);
    const d = makeDevice({
      name,
      prefix: join(dir, name),
      sshd,
      httpPort: await freePort(),
      model,
      key,
      knownHostsFile: knownHosts,
    });
    installRelease(d, archive, "1.0.0-lb");
    agentctl(d, "start");
    devices.push(d);
  }
  writeFileSync(knownHosts, `${lines.join("\n")}\n`);
  await Promise.all(devices.map((d) => waitHealthy(d)));

  // nginx with its own prefix; the role writes conf.d/clawbox-lb.conf and reloads it.
  const prefix = join(dir, "nginx");
  for (const sub of ["conf.d", "tmp", "logs"]) mkdirSync(join(prefix, sub), { recursive: true });
  const mainConf = join(prefix, "nginx.conf");
  writeFileSync(
    mainConf,
    `worker_processes 1;
error_log ${prefix}/logs/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 256; }
http {
  access_log ${prefix}/logs/access.log;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  include ${prefix}/conf.d/*.conf;
}
`,
  );
  nginx = spawn(NGINX, ["-c", mainConf, "-p", prefix, "-g", "daemon off;"], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 300));
  lbPort = await freePort();
  confFile = join(prefix, "conf.d", "clawbox-lb.conf");
  const inventory = join(dir, "inventory.yml");
  writeFileSync(
    inventory,
    stringify({
      all: {
        vars: { clawbox_update_become: false },
        children: {
          clawbox: { hosts: Object.fromEntries(devices.map((d) => [d.name, d.vars])) },
          clawbox_lb: {
            hosts: { lb: { ansible_connection: "local", ansible_python_interpreter: "/usr/bin/python3" } },
            vars: {
              clawbox_lb_install_nginx: false,
              clawbox_lb_listen: `127.0.0.1:${lbPort}`,
              clawbox_lb_conf_file: confFile,
              clawbox_lb_validate_command: [NGINX, "-t", "-q", "-c", mainConf, "-p", prefix],
              clawbox_lb_reload_command: [NGINX, "-s", "reload", "-c", mainConf, "-p", prefix],
            },
          },
        },
      },
    }),
  );
  const vars = join(dir, "vars.yml");
  writeFileSync(vars, stringify({ clawbox_lb_pool_token: poolToken }));
  const r = await run(
    "ansible-playbook",
    ["-i", inventory, "cluster-lb.yml", "-e", `@${vars}`],
    join(REPO, "ansible"),
  );
  playCode = r.code;
  playOut = r.out;
  await waitForPort(lbPort);
}, 300_000);

afterAll(async () => {
  for (const d of devices) agentctl(d, "stop");
  await Promise.all(devices.map((d) => d.sshd.stop()));
  nginx?.kill("SIGQUIT");
  await new Promise((r) => setTimeout(r, 200));
  rmSync(dir, { recursive: true, force: true });
});

describe("cluster-lb.yml with a real nginx", () => {
  it("runs and writes a least_conn upstream with measured weights and passive health checks", () => {
    expect(playCode, playOut).toBe(0);
    const conf = readFileSync(confFile, "utf8");
    expect(conf).toContain("least_conn;");
    for (const d of devices) {
      expect(conf).toMatch(
        new RegExp(`server 127\\.0\\.0\\.1:${d.httpPort} weight=\\d+ max_fails=2 fail_timeout=10s;`),
      );
      expect(readApiToken(d.dataDir)).toBe(poolToken);
    }
    expect(conf).toMatch(/# pool-a: \d+(\.\d+)? tokens\/s/);
    expect(conf).toContain("proxy_next_upstream error timeout http_502 http_503;");
  });

  it("forwards the pool token and spreads requests over both devices", async () => {
    const before = await Promise.all(devices.map(generated));
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push(await chat());
    expect(statuses.every((s) => s === 200)).toBe(true);
    const after = await Promise.all(devices.map(generated));
    expect(after[0]).toBeGreaterThan(before[0] ?? 0);
    expect(after[1]).toBeGreaterThan(before[1] ?? 0);
  }, 60_000);

  it("shows each device's own health and lists the pool", async () => {
    const index = await fetch(`http://127.0.0.1:${lbPort}/pool/devices`);
    expect(index.status).toBe(200);
    expect(await index.json()).toEqual({ devices: ["pool-a", "pool-b"] });
    for (const d of devices) {
      const res = await fetch(`http://127.0.0.1:${lbPort}/pool/devices/${d.name}/healthz`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe("ok");
    }
  });

  it("keeps answering when one device's agent is stopped, and shows which one is down", async () => {
    agentctl(devices[1] as TestDevice, "stop");
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push(await chat());
    expect(statuses).toEqual(Array(8).fill(200));
    const health = (name: string) =>
      fetch(`http://127.0.0.1:${lbPort}/pool/devices/${name}/healthz`).then((r) => r.status);
    expect(await health("pool-a")).toBe(200);
    expect(await health("pool-b")).toBe(502);
  }, 60_000);

  it("refuses a request without the token (the devices still check it)", async () => {
    const res = await fetch(`http://127.0.0.1:${lbPort}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(401);
  });
});
