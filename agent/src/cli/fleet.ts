import { homedir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { parseIntFlag } from "../config/load-config.js";
import { readInventory } from "../fleet/ansible-inventory.js";
import { fleetUpdateArgs, runAnsiblePlaybook } from "../fleet/ansible-playbook.js";
import { fleetStatus } from "../fleet/fleet-status.js";
import { selectHosts } from "../fleet/inventory.js";
import { KnownHosts } from "../fleet/known-hosts.js";
import { formatFleetTable } from "../fleet/status-table.js";

interface StatusFlags {
  inventory: string;
  limit?: string;
  json?: boolean;
  acceptNew?: boolean;
  knownHosts: string;
  concurrency: number;
  connectTimeout: number;
  commandTimeout: number;
  cliPath?: string;
}

interface UpdateFlags {
  inventory: string;
  limit?: string;
  release?: string;
  serial?: string;
  extraVars: string[];
  playbookDir?: string;
}

const DEFAULT_INVENTORY = process.env.CLAWBOX_INVENTORY ?? "inventory.yml";

/**
 * `clawbox fleet status|update`:
 * - `status [-i inventory.yml] [--limit group] [--json] [--accept-new]`: every host's `clawbox status --json`
 *   over SSH, as a table (or a JSON array). Exit 0 when every host answered healthy, 2 when any is
 *   unreachable or unhealthy (for monitoring scripts), 1 for a usage error.
 * - `update <version> [-i …] [--limit …] [--release FILE]`: runs ansible/fleet-update.yml and streams its
 *   output; exits with ansible-playbook's code.
 */
export function register(program: Command): void {
  const fleet = program.command("fleet");
  fleet
    .command("status")
    .description("Show every device's version, model, health, uptime, temperature, tokens/s and disk")
    .option("-i, --inventory <file>", "Ansible inventory (YAML)", DEFAULT_INVENTORY)
    .option("-l, --limit <pattern>", "only these groups/hosts (Ansible --limit syntax: a,b,!c)")
    .option("--json", "print a JSON array instead of the table")
    .option("--accept-new", "trust and record unknown host keys (a changed key is always refused)")
    .option("--known-hosts <file>", "known_hosts file", join(homedir(), ".ssh", "known_hosts"))
    .option("--concurrency <n>", "hosts contacted at once", parseIntFlag("--concurrency", 1, 1024), 32)
    .option(
      "--connect-timeout <ms>",
      "TCP + SSH handshake limit",
      parseIntFlag("--connect-timeout", 100, 600_000),
      5_000,
    )
    .option(
      "--command-timeout <ms>",
      "limit for the status command",
      parseIntFlag("--command-timeout", 100, 600_000),
      15_000,
    )
    .option(
      "--cli-path <path>",
      "run the full CLI (this main.js on the devices) instead of the light agent/dist/fleet/status-main.js",
    )
    .action(async (flags: StatusFlags) => {
      const hosts = selectHosts(await readInventory(flags.inventory), flags.limit);
      const rows = await fleetStatus(hosts, {
        knownHosts: new KnownHosts(flags.knownHosts),
        acceptNew: flags.acceptNew ?? false,
        concurrency: flags.concurrency,
        connectTimeoutMs: flags.connectTimeout,
        commandTimeoutMs: flags.commandTimeout,
        ...(flags.cliPath ? { cliPath: flags.cliPath } : {}),
      });
      process.stdout.write(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : formatFleetTable(rows));
      if (rows.some((r) => !r.reachable || r.status?.health !== "ok")) process.exitCode = 2;
    });

  fleet
    .command("update <version>")
    .description(
      "Roll a release out in canary batches with health-checked rollback (ansible/fleet-update.yml)",
    )
    .option("-i, --inventory <file>", "Ansible inventory (YAML)", DEFAULT_INVENTORY)
    .option("-l, --limit <pattern>", "only these groups/hosts")
    .option("--release <file>", "release archive (default artifacts/clawbox-<version>-x64-cpu.tar.gz)")
    .option("--serial <list>", 'batches, comma-separated (default "1,10%,100%")')
    .option(
      "-e, --extra-vars <vars>",
      "passed to ansible-playbook -e (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option("--playbook-dir <dir>", "folder with fleet-update.yml (default: this checkout's ansible/)")
    .action(async (version: string, flags: UpdateFlags) => {
      const { args, cwd } = fleetUpdateArgs({
        version,
        inventory: flags.inventory,
        releaseArchive: flags.release ?? join("artifacts", `clawbox-${version}-x64-cpu.tar.gz`),
        ...(flags.limit ? { limit: flags.limit } : {}),
        ...(flags.serial
          ? { serial: flags.serial.split(",").map((s) => (/^\d+$/.test(s.trim()) ? Number(s) : s.trim())) }
          : {}),
        extraVars: flags.extraVars,
        ...(flags.playbookDir ? { playbookDir: flags.playbookDir } : {}),
      });
      process.stderr.write(`clawbox: ansible-playbook ${args.join(" ")}\n`);
      process.exitCode = await runAnsiblePlaybook(args, { out: process.stdout, err: process.stderr, cwd });
    });
}
