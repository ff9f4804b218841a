import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { explain, ROOT, type RunResult, run } from "./tools.js";

/**
 * Builds a second agent release of this checkout that reports `version` (image/make-release.sh with
 * CLAWBOX_RELEASE_VERSION: the same agent/dist and production node_modules as the image's release, ~85 MB)
 * into `dir`; returns the archive path. Throws with the script's output when it fails.
 */
export function buildRelease(dir: string, version: string): string {
  const out = join(dir, `clawbox-${version}-x64-cpu.tar.gz`);
  const r = run(join(ROOT, "image", "make-release.sh"), ["x64", "cpu", out], {
    env: { ...process.env, CLAWBOX_RELEASE_VERSION: version },
    timeoutMs: 10 * 60_000,
  });
  if (r.code !== 0) throw new Error(`image/make-release.sh failed: ${explain(r)}`);
  return out;
}

/**
 * Pins the booted VM's SSH host key: `ssh-keyscan` of 127.0.0.1:`port` (ed25519, the key the device
 * generated on first boot) into `<dir>/known_hosts`, so Ansible connects with StrictHostKeyChecking=yes
 * like against a real device. Returns the file path; throws when no key was read.
 */
export function pinHostKey(dir: string, port: number): string {
  const r = run("ssh-keyscan", ["-p", String(port), "-t", "ed25519", "-T", "30", "127.0.0.1"], {
    timeoutMs: 60_000,
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith(`[127.0.0.1]:${port} ssh-ed25519 `));
  if (!line) throw new Error(`ssh-keyscan read no host key: ${explain(r)}`);
  const file = join(dir, "known_hosts");
  writeFileSync(file, `${line}\n`);
  return file;
}

/** The booted VM as one Ansible host: forwarded SSH port, `admin` with the test key, pinned host key. */
export interface VmHost {
  port: number;
  key: string;
  knownHosts: string;
}

/**
 * Writes an Ansible YAML inventory `<dir>/inventory.yml` with the VM as host `qemu-device` in group
 * `clawbox` (the group ansible/fleet-update.yml targets), become through admin's key-only sudo, and
 * `vars` for the whole inventory (e.g. longer health-check retries under TCG). Returns the path.
 */
export function writeVmInventory(dir: string, host: VmHost, vars: Record<string, unknown>): string {
  const file = join(dir, "inventory.yml");
  writeFileSync(
    file,
    stringify({
      all: {
        vars,
        children: {
          clawbox: {
            hosts: {
              "qemu-device": {
                ansible_host: "127.0.0.1",
                ansible_port: host.port,
                ansible_user: "admin",
                ansible_ssh_private_key_file: host.key,
                ansible_ssh_common_args: `-o UserKnownHostsFile=${host.knownHosts} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
                ansible_python_interpreter: "/usr/bin/python3",
              },
            },
          },
        },
      },
    }),
  );
  return file;
}

/**
 * Runs the real `ansible-playbook ansible/fleet-update.yml` (ansible/ansible.cfg) against `inventory`:
 * release `version` from `archive`. Never throws for a failed play: exit code and output are returned.
 * `timeoutMs` bounds the whole play (upload, unpack and relabel of ~250 MB under TCG take minutes).
 */
export function runFleetUpdate(
  inventory: string,
  version: string,
  archive: string,
  timeoutMs: number,
): RunResult {
  return run(
    "ansible-playbook",
    [
      "-i",
      inventory,
      join(ROOT, "ansible", "fleet-update.yml"),
      "-e",
      JSON.stringify({ clawbox_version: version, clawbox_agent_release_archive: archive }),
    ],
    {
      env: {
        ...process.env,
        ANSIBLE_CONFIG: join(ROOT, "ansible", "ansible.cfg"),
        ANSIBLE_NOCOLOR: "1",
        // The TCG-emulated device on a loaded 2-core machine can take longer than Ansible's 10 s
        // connection and sudo-prompt timeout ("Timeout (12s) waiting for privilege escalation prompt").
        ANSIBLE_TIMEOUT: "60",
        SSH_AUTH_SOCK: "",
      },
      timeoutMs,
    },
  );
}
