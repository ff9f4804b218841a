import { execFileSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { stringify } from "yaml";
import type { ClientKey, TestSshd } from "./sshd.js";

/** Repository root (this file is test/fleet/devices.ts). */
export const REPO = resolve(import.meta.dirname, "..", "..");

/**
 * Where the built agent comes from: `$CLAWBOX_FLEET_BUILD_ROOT` (a folder with agent/dist and
 * agent/package.json, e.g. a clean build of HEAD) or this checkout (`npm test` builds it first).
 */
export function buildRoot(): string {
  return process.env.CLAWBOX_FLEET_BUILD_ROOT ?? REPO;
}

/**
 * Packs a test release archive `<dir>/clawbox-<version>.tar.gz` with the layout of image/make-release.sh
 * (agent/dist, agent/package.json with `version`, hardware-profiles/, node_modules/, package.json), except
 * that node_modules is a symlink to this checkout's (the real release copies ~1 GB; the devices here share
 * the machine). `broken: true` replaces the CLI with one that exits 1 at once (a release that fails its
 * health check).
 */
export function makeTestRelease(dir: string, version: string, opts: { broken?: boolean } = {}): string {
  const stage = join(dir, `stage-${version}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, "agent"), { recursive: true });
  const root = buildRoot();
  if (!existsSync(join(root, "agent", "dist", "cli", "main.js")))
    throw new Error(`${root}/agent/dist is missing: run npm run build`);
  cpSync(join(root, "agent", "dist"), join(stage, "agent", "dist"), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(root, "agent", "package.json"), "utf8")) as Record<
    string,
    unknown
  >;
  writeFileSync(join(stage, "agent", "package.json"), JSON.stringify({ ...pkg, version }, null, 2));
  cpSync(join(REPO, "hardware-profiles"), join(stage, "hardware-profiles"), { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(stage, "node_modules"));
  writeFileSync(
    join(stage, "package.json"),
    JSON.stringify({ name: "clawbox-release", version, type: "module" }),
  );
  if (opts.broken) {
    writeFileSync(
      join(stage, "agent", "dist", "cli", "main.js"),
      '#!/usr/bin/env node\nprocess.stderr.write("broken test release\\n");\nprocess.exit(1);\n',
    );
  }
  const archive = join(dir, `clawbox-${version}.tar.gz`);
  execFileSync("tar", ["-C", stage, "--owner=0", "--group=0", "-czf", archive, "."]);
  rmSync(stage, { recursive: true, force: true });
  return archive;
}

/** One simulated device: an sshd plus its own /opt/clawbox, /etc/clawbox and /var/lib/clawbox under `prefix`. */
export interface TestDevice {
  name: string;
  prefix: string;
  sshd: TestSshd;
  /** Agent HTTP port (config server.port). */
  httpPort: number;
  root: string;
  configDir: string;
  dataDir: string;
  /** Supervisor script standing in for systemd: `agentctl start|stop|restart`. */
  agentctl: string;
  /** Ansible host variables for this device. */
  vars: Record<string, unknown>;
}

/**
 * Lays out a device under `prefix`: `opt/clawbox/node` → the Node prefix running the tests, a config
 * (loopback, `httpPort`, the test model, one thread, its own data dir) and `bin/agentctl`, a small
 * supervisor standing in for systemd (there is no systemd in the test container): it starts
 * `<root>/node/bin/node <root>/current/agent/dist/cli/main.js start --config …` detached (setsid) with a pid
 * file, and stops it with SIGTERM (SIGKILL after 10 s). fleet-update.yml uses it through the role knob
 * `clawbox_agent_restart_command`.
 */
export function makeDevice(opts: {
  name: string;
  prefix: string;
  sshd: TestSshd;
  httpPort: number;
  model: string;
  key: ClientKey;
  knownHostsFile: string;
}): TestDevice {
  const { prefix } = opts;
  const root = join(prefix, "opt", "clawbox");
  const configDir = join(prefix, "etc", "clawbox");
  const dataDir = join(prefix, "var", "lib", "clawbox");
  for (const d of [join(root, "releases"), configDir, dataDir, join(prefix, "bin"), join(prefix, "run")])
    mkdirSync(d, { recursive: true });
  symlinkSync(dirname(dirname(process.execPath)), join(root, "node"));
  writeFileSync(
    join(configDir, "config.yaml"),
    stringify({
      dataDir,
      server: { host: "127.0.0.1", port: opts.httpPort },
      model: opts.model,
      inference: { threads: 1, contextSize: 256 },
      log: { level: "warn" },
    }),
  );
  const agentctl = join(prefix, "bin", "agentctl");
  writeFileSync(
    agentctl,
    `#!/bin/sh
# Test stand-in for systemd (test/fleet/devices.ts): start|stop|restart the agent of this device.
P='${prefix}'
PIDFILE="$P/run/agent.pid"
stop() {
  [ -f "$PIDFILE" ] || return 0
  pid=$(cat "$PIDFILE")
  kill "$pid" 2>/dev/null
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  kill -9 "$pid" 2>/dev/null
  rm -f "$PIDFILE"
}
start() {
  CLAWBOX_LOG_LEVEL=warn setsid '${root}/node/bin/node' '${root}/current/agent/dist/cli/main.js' start \\
    --config '${configDir}/config.yaml' </dev/null >>"$P/agent.log" 2>&1 &
  echo $! > "$PIDFILE"
}
case "$1" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  *) echo "usage: agentctl start|stop|restart" >&2; exit 2 ;;
esac
`,
  );
  chmodSync(agentctl, 0o755);
  return {
    name: opts.name,
    prefix,
    sshd: opts.sshd,
    httpPort: opts.httpPort,
    root,
    configDir,
    dataDir,
    agentctl,
    vars: {
      ansible_host: "127.0.0.1",
      ansible_port: opts.sshd.port,
      ansible_user: "root",
      ansible_ssh_private_key_file: opts.key.file,
      ansible_ssh_common_args: `-o UserKnownHostsFile=${opts.knownHostsFile} -o StrictHostKeyChecking=yes`,
      ansible_python_interpreter: "/usr/bin/python3",
      clawbox_agent_root: root,
      clawbox_agent_config_dir: configDir,
      clawbox_agent_data_dir: dataDir,
      clawbox_agent_http_port: opts.httpPort,
      clawbox_agent_restart_command: [agentctl, "restart"],
    },
  };
}

/** Installs `archive` as release `version` by hand and points `current` at it (a device's initial state). */
export function installRelease(device: TestDevice, archive: string, version: string): void {
  const dir = join(device.root, "releases", version);
  mkdirSync(dir, { recursive: true });
  execFileSync("tar", ["-C", dir, "-xzf", archive]);
  rmSync(join(device.root, "current"), { force: true });
  symlinkSync(`releases/${version}`, join(device.root, "current"));
}

/** Runs the device's supervisor (`start`, `stop`, `restart`). */
export function agentctl(device: TestDevice, action: "start" | "stop" | "restart"): void {
  execFileSync(device.agentctl, [action], { stdio: "ignore" });
}

/** Polls the device's /healthz until 200 (throws with the agent log after `timeoutMs`). */
export async function waitHealthy(device: TestDevice, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${device.httpPort}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) {
      const log = existsSync(join(device.prefix, "agent.log"))
        ? readFileSync(join(device.prefix, "agent.log"), "utf8")
        : "";
      throw new Error(`${device.name} not healthy on port ${device.httpPort}:\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An Ansible YAML inventory with the devices in group `clawbox` (first one also in `canary`). */
export function writeInventory(
  file: string,
  devices: TestDevice[],
  extra: Record<string, unknown> = {},
): void {
  const hosts = Object.fromEntries(devices.map((d) => [d.name, d.vars]));
  writeFileSync(
    file,
    stringify({
      all: {
        vars: { clawbox_update_become: false, ...extra },
        children: { clawbox: { hosts } },
      },
    }),
  );
}
