import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { writeFileAtomic } from "../config/atomic-write.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { buildInventory, type Inventory, loadInventory } from "./inventory.js";

const run = promisify(execFile);

/** `ansible-inventory --list` output: groups (hosts, children) and `_meta.hostvars`. */
interface AnsibleList {
  _meta?: { hostvars?: Record<string, Record<string, unknown>> };
  [group: string]: { hosts?: string[]; children?: string[] } | unknown;
}

/**
 * Reads an Ansible inventory the way Ansible does: through `ansible-inventory -i FILE --list` (the real
 * parser: INI, YAML, host ranges such as `pi-[01:05]`, group_vars/host_vars, inventory plugins), so
 * `clawbox fleet` sees exactly the hosts and variables a playbook would. Where Ansible is not installed
 * (`ansible-inventory` not on PATH), YAML inventories are read by clawbox's own reader (`loadInventory`);
 * other formats then fail with a fix that says to install Ansible.
 * `ANSIBLE_INVENTORY_UNPARSED_FAILED=1` turns Ansible's "unable to parse" warning into an error.
 * Ansible's answer for a static inventory file is cached (see `cacheKey`): a Python start of Ansible costs
 * 0.5–5 s on the 2-core dev VM (quiet vs. loaded), more than `clawbox fleet status` itself takes for 50 hosts.
 * Throws UserError (`inventory`) with Ansible's own message for an unreadable or invalid inventory.
 */
export async function readInventory(
  file: string,
  ansibleInventory = "ansible-inventory",
  cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "clawbox", "inventory"),
): Promise<Inventory> {
  const key = cacheKey(file);
  const cached = key ? join(cacheDir, `${key}.json`) : undefined;
  if (cached && existsSync(cached)) return fromAnsibleList(file, JSON.parse(readFileSync(cached, "utf8")));
  let stdout: string;
  try {
    ({ stdout } = await run(ansibleInventory, ["-i", file, "--list"], {
      env: { ...process.env, ANSIBLE_INVENTORY_UNPARSED_FAILED: "1", ANSIBLE_NOCOLOR: "1" },
      maxBuffer: 64 * 1024 * 1024,
    }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") {
      if (/\.ya?ml$/i.test(file)) return loadInventory(file);
      throw new UserError(
        `cannot read inventory ${file}: only YAML inventories can be read without Ansible`,
        {
          code: ErrorCode.INVENTORY,
          fix: "install Ansible (apt install ansible) so ansible-inventory can parse it, or convert it to YAML",
        },
      );
    }
    throw new UserError(`inventory ${file}: ${ansibleMessage(e.stderr ?? String(err))}`, {
      code: ErrorCode.INVENTORY,
      fix: "fix the inventory so `ansible-inventory -i FILE --list` accepts it (see ansible/inventory.example.yml)",
    });
  }
  const inventory = fromAnsibleList(file, JSON.parse(stdout) as AnsibleList);
  if (cached) {
    try {
      mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      writeFileAtomic(cached, stdout, { mode: 0o600 });
    } catch {
      // a cache that cannot be written (read-only home) only costs the next run Ansible's start-up
    }
  }
  return inventory;
}

/**
 * Cache key of Ansible's answer for `file`: a SHA-256 over everything that answer depends on for a static
 * inventory — the file's bytes, the size and mtime of every file under group_vars/ and host_vars/ beside it,
 * ./ansible.cfg and the ANSIBLE_* environment. Undefined (no caching) for
 * what may answer differently each run: an executable inventory script, a directory or a missing file.
 */
function cacheKey(file: string): string | undefined {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(file);
  } catch {
    return undefined;
  }
  if (!stat.isFile() || (stat.mode & 0o111) !== 0) return undefined;
  const hash = createHash("sha256").update(readFileSync(file)).update(resolve(file));
  const stamp = (path: string): void => {
    if (!existsSync(path)) return;
    const s = statSync(path);
    hash.update(`${path}\0${s.size}\0${s.mtimeMs}\0`);
    if (s.isDirectory()) for (const entry of readdirSync(path).sort()) stamp(join(path, entry));
  };
  for (const dir of ["group_vars", "host_vars"]) stamp(join(dirname(resolve(file)), dir));
  stamp(resolve("ansible.cfg"));
  for (const name of Object.keys(process.env).sort())
    if (name.startsWith("ANSIBLE_")) hash.update(`${name}=${process.env[name]}\0`);
  return hash.digest("hex");
}

/**
 * Builds an Inventory from `ansible-inventory --list` JSON. Ansible has already merged every host's
 * variables (group and host vars, group_vars/ and host_vars/ files), so they are taken as host variables.
 * Ansible prints the groups sorted by name, but each `children` and `hosts` list in file order, so the
 * groups are walked from `all` through their children: hosts come out in inventory order, as playbooks
 * see them (`ansible all --list-hosts`).
 */
export function fromAnsibleList(file: string, list: AnsibleList): Inventory {
  const hostvars = list._meta?.hostvars ?? {};
  const groupOf = (name: string) => {
    const value = list[name];
    return (typeof value === "object" && value !== null ? value : {}) as {
      hosts?: string[];
      children?: string[];
    };
  };
  const body = (name: string, path: readonly string[]): Record<string, unknown> => {
    const group = groupOf(name);
    const children = (group.children ?? []).filter((c) => !path.includes(c));
    return {
      ...(group.hosts ? { hosts: Object.fromEntries(group.hosts.map((h) => [h, hostvars[h] ?? {}])) } : {}),
      ...(children.length > 0
        ? { children: Object.fromEntries(children.map((c) => [c, body(c, [...path, c])])) }
        : {}),
    };
  };
  return buildInventory(file, { all: body("all", ["all"]) });
}

/**
 * What Ansible's stderr says is wrong, as one line: its messages are wrapped at the terminal width and
 * marked `[WARNING]:` / `ERROR!`; the parser's own reason ("Failed to parse … with ini plugin: …") comes first.
 */
function ansibleMessage(stderr: string): string {
  const messages = stderr
    .replace(/\s+/g, " ")
    .split(/\[WARNING\]:|\[ERROR\]:|ERROR!/)
    .map((m) => m.replace(/^[\s*]+/, "").trim())
    .filter(Boolean);
  const reason = messages.find((m) => /failed to parse/i.test(m)) ?? messages.at(-1);
  return reason ?? "ansible-inventory failed";
}
