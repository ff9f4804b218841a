import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { buildRoot, installRelease, makeDevice, makeTestRelease } from "../fleet/devices.js";
import { freePort, makeClientKey, startSshd, type TestSshd } from "../fleet/sshd.js";
import { testModelPath } from "../support/test-model.js";
import { median } from "./stats.js";

/**
 * Wall time of `clawbox fleet status --json` (the built CLI, spawned: includes its own start-up) for 10 and
 * 50 SSH endpoints — 50 real Debian sshd on loopback ports, each with its own host key, all pointing at
 * one installed release whose agent is not running (each host answers with the light status entry, health
 * "down"). Median of 3 runs each, ms. Goal: 50 hosts in ≤ 2,000 ms on the 2-core
 * machine (a fleet status must feel interactive).
 */
export async function benchFleet(
  log: (line: string) => void,
): Promise<{ fleetStatus10Ms: number; fleetStatus50Ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), "clawbox-fleet-bench-"));
  const servers: TestSshd[] = [];
  try {
    const key = makeClientKey(join(dir, "client"));
    for (let i = 0; i < 50; i++) servers.push(await startSshd(join(dir, `sshd-${i}`), [key.publicLine]));
    const device = makeDevice({
      name: "shared",
      prefix: join(dir, "device"),
      sshd: servers[0] as TestSshd, // one device tree, reached through all 50 servers
      httpPort: await freePort(),
      model: await testModelPath(),
      key,
      knownHostsFile: join(dir, "known_hosts"),
    });
    installRelease(device, makeTestRelease(dir, "0.0.0-bench"), "0.0.0-bench");
    writeFileSync(join(dir, "known_hosts"), `${servers.map((s) => s.knownHostsLine).join("\n")}\n`);
    const hosts = Object.fromEntries(
      servers.map((s, i) => [
        `dev-${String(i).padStart(2, "0")}`,
        {
          ansible_host: "127.0.0.1",
          ansible_port: s.port,
          ansible_ssh_private_key_file: key.file,
          clawbox_agent_root: device.root,
          clawbox_agent_data_dir: device.dataDir,
        },
      ]),
    );
    const names = Object.keys(hosts);
    const inventory = join(dir, "inventory.yml");
    writeFileSync(
      inventory,
      stringify({
        all: {
          vars: { ansible_user: "root" },
          children: {
            ten: { hosts: Object.fromEntries(names.slice(0, 10).map((n) => [n, hosts[n]])) },
            rest: { hosts: Object.fromEntries(names.slice(10).map((n) => [n, hosts[n]])) },
          },
        },
      }),
    );
    const cli = join(buildRoot(), "agent", "dist", "cli", "main.js");
    const once = (limit: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const t0 = performance.now();
        const child = spawn(
          process.execPath,
          [
            cli,
            "fleet",
            "status",
            "-i",
            inventory,
            "--limit",
            limit,
            "--json",
            "--known-hosts",
            join(dir, "known_hosts"),
            "--concurrency",
            "50",
          ],
          { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SSH_AUTH_SOCK: "" } },
        );
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
        });
        child.on("exit", () => {
          const ms = performance.now() - t0;
          const rows = JSON.parse(out || "[]") as { reachable: boolean }[];
          if (rows.some((r) => !r.reachable)) reject(new Error(`fleet bench: unreachable hosts:\n${out}`));
          else resolve(ms);
        });
      });
    const measure = async (limit: string, n: number): Promise<number> => {
      await once(limit); // warm-up (page cache, sshd first fork)
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) runs.push(await once(limit));
      const m = median(runs);
      log(
        `fleet status, ${n} SSH endpoints: ${m.toFixed(0)} ms (runs ${runs.map((r) => r.toFixed(0)).join(", ")})`,
      );
      return m;
    };
    const fleetStatus10Ms = await measure("ten", 10);
    const fleetStatus50Ms = await measure("all", 50);
    return { fleetStatus10Ms, fleetStatus50Ms };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}
