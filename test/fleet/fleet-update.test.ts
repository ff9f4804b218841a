import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readApiToken } from "../../agent/src/server/api-token.js";
import { testModelPath } from "../support/test-model.js";
import {
  agentctl,
  buildRoot,
  installRelease,
  makeDevice,
  makeTestRelease,
  REPO,
  type TestDevice,
  waitHealthy,
  writeInventory,
} from "./devices.js";
import { freePort, makeClientKey, startSshd } from "./sshd.js";

/**
 * `clawbox fleet update` → ansible-playbook ansible/fleet-update.yml against three "devices" (real sshd on
 * loopback, each with its own /opt/clawbox-like tree and a running agent built from this repository on the
 * test model; restarts go through the role knob clawbox_agent_restart_command = the device's agentctl
 * supervisor, as there is no systemd here). v1 → v2 on all; then a broken v3 is rolled back on the canary,
 * the play stops and the other devices still run v2, untouched.
 */

const CLI = join(buildRoot(), "agent", "dist", "cli", "main.js");
const V1 = "1.0.0-fleet";
const V2 = "2.0.0-fleet";
const V3 = "3.0.0-broken";
let dir: string;
let inventory: string;
const devices: TestDevice[] = [];
const archives: Record<string, string> = {};

function update(version: string, extra: string[] = []): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        "fleet",
        "update",
        version,
        "-i",
        inventory,
        "--release",
        archives[version] ?? "",
        "--playbook-dir",
        join(REPO, "ansible"),
        ...extra,
      ],
      { env: { ...process.env, ANSIBLE_NOCOLOR: "1", SSH_AUTH_SOCK: "" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`fleet update ${version} hung:\n${out}`));
    }, 400_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function runningVersion(d: TestDevice): Promise<string> {
  const token = readApiToken(d.dataDir);
  const res = await fetch(`http://127.0.0.1:${d.httpPort}/admin/status`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return ((await res.json()) as { version: string }).version;
}

const current = (d: TestDevice): string => readlinkSync(join(d.root, "current"));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-fleet-update-"));
  const key = makeClientKey(join(dir, "client"));
  const knownHosts = join(dir, "known_hosts");
  const model = await testModelPath();
  archives[V1] = makeTestRelease(dir, V1);
  archives[V2] = makeTestRelease(dir, V2);
  archives[V3] = makeTestRelease(dir, V3, { broken: true });
  const lines: string[] = [];
  for (const name of ["canary-1", "shop-2", "shop-3"]) {
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
    installRelease(d, archives[V1] as string, V1);
    agentctl(d, "start");
    devices.push(d);
  }
  writeFileSync(knownHosts, `${lines.join("\n")}\n`);
  await Promise.all(devices.map((d) => waitHealthy(d)));
  // An old release on the canary, older than everything: pruned once more than 2 releases are installed.
  const old = join(devices[0]?.root ?? "", "releases", "0.0.1-old");
  mkdirSync(old, { recursive: true });
  utimesSync(old, new Date(2020, 0, 1), new Date(2020, 0, 1));
  inventory = join(dir, "inventory.yml");
  writeInventory(inventory, devices, {
    clawbox_update_health_delay: 1,
    clawbox_update_health_retries: 30, // ~30 s: a loaded CI machine starts the agent in 2-10 s
    clawbox_agent_keep_releases: 2,
  });
}, 240_000);

afterAll(async () => {
  for (const d of devices) agentctl(d, "stop");
  await Promise.all(devices.map((d) => d.sshd.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe("clawbox fleet update (ansible/fleet-update.yml)", () => {
  it("updates every device from v1 to v2 in canary batches, health-checked with a real chat completion", async () => {
    const r = await update(V2);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("TASK [fleet_update : One real chat completion]");
    expect(r.out).toMatch(/chat completion: \S/);
    // serial [1, "10%", "100%"] on 3 hosts: three batches of one.
    expect(r.out.match(/PLAY \[Roll out a clawbox release\]/g)).toHaveLength(3);
    for (const d of devices) {
      expect(current(d)).toBe(`releases/${V2}`);
      expect(await runningVersion(d)).toBe(V2);
    }
    const canary = devices[0] as TestDevice;
    expect(existsSync(join(canary.root, "releases", "0.0.1-old"))).toBe(false); // pruned (keep 2)
    expect(existsSync(join(canary.root, "releases", V1))).toBe(true); // previous kept for rollback
  }, 400_000);

  it("rolls a broken v3 back on the canary, stops the play and leaves the other devices on v2", async () => {
    const r = await update(V3);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain(`release ${V3} failed on canary-1`);
    expect(r.out).toContain(`rolled back to ${V2}`);
    const [canary, ...rest] = devices as [TestDevice, ...TestDevice[]];
    expect(current(canary)).toBe(`releases/${V2}`);
    expect(await runningVersion(canary)).toBe(V2);
    for (const d of rest) {
      expect(current(d)).toBe(`releases/${V2}`);
      expect(await runningVersion(d)).toBe(V2);
      expect(existsSync(join(d.root, "releases", V3))).toBe(false); // never touched
    }
    expect(r.out).not.toMatch(/shop-2\s*:\s*ok=[1-9]/);
  }, 400_000);

  it("pre-checks refuse a device short of disk or with an unhealthy agent, before touching it", async () => {
    const shop3 = devices[2] as TestDevice;
    const disk = await update(V1, [
      "--limit",
      "shop-3",
      "-e",
      "clawbox_update_min_free_bytes=1000000000000000000",
    ]);
    expect(disk.code).not.toBe(0);
    expect(disk.out).toMatch(/bytes free under .*1000000000000000000 needed/);
    agentctl(shop3, "stop");
    const down = await update(V1, ["--limit", "shop-3"]);
    expect(down.code).not.toBe(0);
    expect(down.out).toContain(
      "TASK [fleet_update : Check that the running release is healthy before touching it]",
    );
    expect(down.out).not.toContain("TASK [agent : Upload and unpack the release]");
    expect(current(shop3)).toBe(`releases/${V2}`);
  }, 200_000);
});
