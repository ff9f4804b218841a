import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { FleetHostStatus } from "../../agent/src/fleet/fleet-status.js";
import { testModelPath } from "../support/test-model.js";
import {
  agentctl,
  buildRoot,
  installRelease,
  makeDevice,
  makeTestRelease,
  type TestDevice,
  waitHealthy,
} from "./devices.js";
import { freePort, makeClientKey, startSilentListener, startSshd, type TestSshd } from "./sshd.js";

/**
 * `clawbox fleet status` (the built CLI) against real OpenSSH servers on loopback, each a "device" with
 * its own tree: one with a running agent, one whose agent is down and that is reached through ssh-agent
 * instead of a key file, one with a changed host key, one whose key is unknown, a closed port, a host
 * that accepts TCP but never speaks SSH, and a blackholed TEST-NET address.
 */

const CLI = join(buildRoot(), "agent", "dist", "cli", "main.js");
let dir: string;
let knownHosts: string;
let inventory: string;
const devices: TestDevice[] = [];
const servers: TestSshd[] = [];
let silent: { port: number; close(): Promise<void> };
let sshAgent: ChildProcess | undefined;
let agentSock: string;
const VERSION = "1.4.2-fleet-status";

function fleet(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "fleet", ...args], {
      env: { ...process.env, SSH_AUTH_SOCK: agentSock, ...env },
      stdio: ["ignore", "pipe", "pipe"],
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
      reject(new Error(`clawbox fleet ${args.join(" ")} hung:\n${stdout}\n${stderr}`));
    }, 40_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-fleet-status-"));
  knownHosts = join(dir, "known_hosts");
  const key = makeClientKey(join(dir, "client"));
  const agentKey = makeClientKey(join(dir, "client"), "agent_only");
  agentSock = join(dir, "agent.sock");
  sshAgent = spawn("ssh-agent", ["-D", "-a", agentSock], { stdio: "ignore" });
  for (let i = 0; i < 50 && !existsSyncSafe(agentSock); i++) await new Promise((r) => setTimeout(r, 20));
  execFileSync("ssh-add", ["-q", agentKey.file], {
    env: { ...process.env, SSH_AUTH_SOCK: agentSock },
    stdio: "ignore",
  });

  const model = await testModelPath();
  const archive = makeTestRelease(dir, VERSION);
  for (const name of ["up", "down", "changed", "unknown"]) {
    // "down" accepts only the key held by ssh-agent; the others only the key file.
    const sshd = await startSshd(join(dir, `sshd-${name}`), [
      name === "down" ? agentKey.publicLine : key.publicLine,
    ]);
    servers.push(sshd);
    const device = makeDevice({
      name,
      prefix: join(dir, name),
      sshd,
      httpPort: await freePort(),
      model,
      key,
      knownHostsFile: knownHosts,
    });
    installRelease(device, archive, VERSION);
    devices.push(device);
  }
  const [up, down, changed] = devices as [TestDevice, TestDevice, TestDevice, TestDevice];
  // known_hosts: up and down by their real keys (down's line hashed with ssh-keygen -H), changed by a stale key.
  writeFileSync(knownHosts, `${up.sshd.knownHostsLine}\n`);
  const hashedFile = join(dir, "hashed_known_hosts");
  writeFileSync(hashedFile, `${down.sshd.knownHostsLine}\n`);
  execFileSync("ssh-keygen", ["-q", "-H", "-f", hashedFile], { stdio: "ignore" });
  appendFileSync(knownHosts, readFileSync(hashedFile, "utf8"));
  const stale = makeClientKey(join(dir, "stale"), "old_host_key");
  appendFileSync(
    knownHosts,
    `[127.0.0.1]:${changed.sshd.port} ${stale.publicLine.split(" ").slice(0, 2).join(" ")}\n`,
  );

  agentctl(up, "start");
  await waitHealthy(up);

  silent = await startSilentListener();
  const closedPort = await freePort();
  const hosts: Record<string, unknown> = Object.fromEntries(devices.map((d) => [d.name, { ...d.vars }]));
  (hosts.down as Record<string, unknown>).ansible_ssh_private_key_file = join(dir, "no-such-key"); // ssh-agent only
  hosts.closed = {
    ansible_host: "127.0.0.1",
    ansible_port: closedPort,
    ansible_ssh_private_key_file: key.file,
  };
  hosts.silent = {
    ansible_host: "127.0.0.1",
    ansible_port: silent.port,
    ansible_ssh_private_key_file: key.file,
  };
  hosts.blackholed = { ansible_host: "192.0.2.1", ansible_ssh_private_key_file: key.file };
  inventory = join(dir, "inventory.yml");
  writeFileSync(
    inventory,
    stringify({
      all: {
        vars: { ansible_user: "root" },
        children: {
          devices: {
            hosts: Object.fromEntries(["up", "down", "changed", "unknown"].map((h) => [h, hosts[h]])),
          },
          broken: { hosts: { closed: hosts.closed, silent: hosts.silent, blackholed: hosts.blackholed } },
        },
      },
    }),
  );
}, 180_000);

function existsSyncSafe(p: string): boolean {
  try {
    readFileSync(p);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

afterAll(async () => {
  for (const d of devices) agentctl(d, "stop");
  await Promise.all(servers.map((s) => s.stop()));
  await silent?.close();
  sshAgent?.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

describe("clawbox fleet status", () => {
  let rows: FleetHostStatus[];
  let code: number | null;

  beforeAll(async () => {
    const r = await fleet([
      "status",
      "-i",
      inventory,
      "--json",
      "--known-hosts",
      knownHosts,
      "--connect-timeout",
      "1500",
    ]);
    code = r.code;
    rows = JSON.parse(r.stdout) as FleetHostStatus[];
  }, 60_000);

  const row = (name: string): FleetHostStatus => {
    const r = rows.find((x) => x.host === name);
    if (!r) throw new Error(`no row for ${name}`);
    return r;
  };

  it("lists every host in inventory order and exits 2 because some are not healthy", () => {
    expect(rows.map((r) => r.host)).toEqual([
      "up",
      "down",
      "changed",
      "unknown",
      "closed",
      "silent",
      "blackholed",
    ]);
    expect(code).toBe(2);
  });

  it("reads the running agent's version, model, health and uptime over SSH", () => {
    const up = row("up");
    expect(up.reachable).toBe(true);
    expect(up.status?.version).toBe(VERSION);
    expect(up.status?.health).toBe("ok");
    expect(up.status?.model).toBeTruthy();
    expect(up.status?.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(up.status?.disk.freeBytes).toBeGreaterThan(0);
    expect(up.status?.disk.path).toBe(devices[0]?.dataDir);
  });

  it("reaches a host through ssh-agent (hashed known_hosts line) and reports its agent down", () => {
    const down = row("down");
    expect(down.reachable).toBe(true);
    expect(down.status?.health).toBe("down");
    expect(down.status?.version).toBe(VERSION); // the installed release's CLI answered
  });

  it("refuses a changed host key and an unknown one", () => {
    expect(row("changed")).toMatchObject({ reachable: false, failure: "host-key-changed" });
    expect(row("changed").reason).toContain("HOST KEY CHANGED");
    expect(row("unknown")).toMatchObject({ reachable: false, failure: "host-key-unknown" });
  });

  it("reports a closed port, a silent host and a blackholed address without hanging", () => {
    expect(row("closed")).toMatchObject({ reachable: false, failure: "unreachable" });
    expect(row("closed").reason).toContain("ECONNREFUSED");
    expect(row("silent")).toMatchObject({ reachable: false, failure: "connect-timeout" });
    expect(row("silent").ms).toBeLessThan(10_000);
    expect(row("blackholed").reachable).toBe(false);
    expect(["connect-timeout", "unreachable"]).toContain(row("blackholed").failure);
  });

  it("--accept-new records an unknown key, the next run trusts it, and a changed key stays refused", async () => {
    const before = readFileSync(knownHosts, "utf8");
    const r = await fleet([
      "status",
      "-i",
      inventory,
      "--limit",
      "unknown,changed",
      "--json",
      "--accept-new",
      "--known-hosts",
      knownHosts,
    ]);
    const accepted = JSON.parse(r.stdout) as FleetHostStatus[];
    expect(accepted.find((x) => x.host === "unknown")?.reachable).toBe(true);
    expect(accepted.find((x) => x.host === "changed")?.failure).toBe("host-key-changed");
    const added = readFileSync(knownHosts, "utf8").slice(before.length);
    const unknownPort = devices[3]?.sshd.port;
    expect(added.trim()).toBe(devices[3]?.sshd.knownHostsLine);
    expect(added).toContain(`[127.0.0.1]:${unknownPort}`);
    const again = await fleet([
      "status",
      "-i",
      inventory,
      "--limit",
      "unknown",
      "--json",
      "--known-hosts",
      knownHosts,
    ]);
    expect((JSON.parse(again.stdout) as FleetHostStatus[])[0]?.reachable).toBe(true);
  }, 60_000);

  it("prints a table with one row per host and the reason under unreachable ones", async () => {
    const r = await fleet(["status", "-i", inventory, "--limit", "up:closed", "--known-hosts", knownHosts]);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(
      /^HOST\s+REACHABLE\s+VERSION\s+MODEL\s+HEALTH\s+UPTIME\s+TEMP\s+TOK\/S\s+DISK FREE$/,
    );
    expect(lines[1]).toMatch(new RegExp(`^up\\s+yes\\s+${VERSION.replace(/\./g, "\\.")}\\s+\\S+\\s+ok\\s`));
    expect(lines[2]).toMatch(/^closed\s+no\s+-/);
    expect(lines[3]).toContain("unreachable: ECONNREFUSED");
    expect(lines.at(-1)).toBe("2 hosts: 1 reachable, 1 healthy");
  });

  it("runs the full CLI with --cli-path and gets the same status", async () => {
    const up = devices[0] as TestDevice;
    const r = await fleet([
      "status",
      "-i",
      inventory,
      "--limit",
      "up",
      "--json",
      "--known-hosts",
      knownHosts,
      "--cli-path",
      join(up.root, "current", "agent", "dist", "cli", "main.js"),
    ]);
    const [only] = JSON.parse(r.stdout) as FleetHostStatus[];
    expect(only?.status?.health).toBe("ok");
    expect(only?.status?.version).toBe(VERSION);
  });

  it("names a bad --limit and the groups there are", async () => {
    const r = await fleet(["status", "-i", inventory, "--limit", "nosuchgroup"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--limit nosuchgroup matches no host");
    expect(r.stderr).toContain("devices");
  });
});
