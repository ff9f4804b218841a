import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { REPO_ROOT } from "../paths.js";

/** What `clawbox fleet update` asks of ansible/fleet-update.yml. */
export interface FleetUpdateRequest {
  /** Release version to install (`/opt/clawbox/releases/<version>`). */
  version: string;
  /** Ansible inventory file. */
  inventory: string;
  /** Release archive on the controller (image/make-release.sh output). */
  releaseArchive: string;
  limit?: string;
  /** Batches, as Ansible's `serial` (default in the playbook: [1, "10%", "100%"]). */
  serial?: (number | string)[];
  /** Extra `-e` arguments passed through verbatim. */
  extraVars?: string[];
  /** Folder holding fleet-update.yml (default: the repository's ansible/). */
  playbookDir?: string;
}

/**
 * The `ansible-playbook` argument vector for a fleet update (no shell involved) and the folder to run it in. Variables go as one JSON
 * `-e` document so versions and paths need no quoting. Throws UserError when the playbook, the inventory or
 * the release archive does not exist.
 */
export function fleetUpdateArgs(req: FleetUpdateRequest): { args: string[]; cwd: string } {
  const playbook = resolve(req.playbookDir ?? join(REPO_ROOT, "ansible"), "fleet-update.yml");
  for (const [what, file, fix] of [
    ["playbook", playbook, "run clawbox from a checkout of the clawbox repository, or pass --playbook-dir"],
    ["inventory", req.inventory, "pass your inventory with -i FILE (see ansible/inventory.example.yml)"],
    ["release archive", req.releaseArchive, "build it with image/make-release.sh, or pass --release FILE"],
  ] as const) {
    if (!existsSync(file))
      throw new UserError(`${what} ${file} does not exist`, { code: ErrorCode.FLEET_UPDATE, fix });
  }
  const vars: Record<string, unknown> = {
    clawbox_version: req.version,
    clawbox_agent_release_archive: resolve(req.releaseArchive),
  };
  if (req.serial) vars.clawbox_update_serial = req.serial;
  const args = ["-i", resolve(req.inventory), playbook, "-e", JSON.stringify(vars)];
  if (req.limit) args.push("--limit", req.limit);
  for (const e of req.extraVars ?? []) args.push("-e", e);
  // Run from the playbook's folder so its ansible.cfg (roles_path) applies.
  return { args, cwd: dirname(playbook) };
}

/**
 * Runs `ansible-playbook <args>` with its output streamed to `out`/`err` as it comes and resolves with its
 * exit code (Ansible: 0 ok, 2 a host failed, 4 unreachable, …). Throws UserError when ansible-playbook is
 * not installed.
 */
export function runAnsiblePlaybook(
  args: string[],
  opts: { out: NodeJS.WritableStream; err: NodeJS.WritableStream; cwd: string; env?: NodeJS.ProcessEnv },
): Promise<number> {
  return new Promise((resolveRun, reject) => {
    const child = spawn("ansible-playbook", args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ANSIBLE_FORCE_COLOR: "0", ...(opts.env ?? process.env) },
      cwd: opts.cwd,
    });
    child.stdout.pipe(opts.out, { end: false });
    child.stderr.pipe(opts.err, { end: false });
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "ENOENT"
          ? new UserError("ansible-playbook is not installed", {
              code: ErrorCode.NO_ANSIBLE,
              fix: "install Ansible on this machine (apt-get install ansible, or pipx install ansible-core)",
            })
          : e,
      ),
    );
    child.on("close", (code) => resolveRun(code ?? 1));
  });
}
