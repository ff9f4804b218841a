import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/** One host of an Ansible inventory, with the connection settings Ansible would use. */
export interface InventoryHost {
  /** Inventory name (what `--limit` and Ansible output show). */
  name: string;
  /** Address to connect to: `ansible_host`, else the name. */
  address: string;
  /** SSH port: `ansible_port` / `ansible_ssh_port`, else 22. */
  port: number;
  /** Login user: `ansible_user` / `ansible_ssh_user`, else the local user (as OpenSSH does). */
  user: string;
  /** `ansible_ssh_private_key_file` / `ansible_private_key_file`, `~` expanded; absent = agent + default keys. */
  keyFile?: string;
  /** Every group the host belongs to, `all` first, then by depth and name. */
  groups: string[];
  /** Merged variables (all < parent groups < child groups < group_vars files < host vars). */
  vars: Record<string, unknown>;
}

/** A parsed inventory: hosts in file order and each group's members. */
export interface Inventory {
  file: string;
  hosts: InventoryHost[];
  /** Group name → host names (transitively through children). */
  groups: Map<string, string[]>;
}

interface GroupNode {
  name: string;
  vars: Record<string, unknown>;
  hosts: Map<string, Record<string, unknown>>;
  children: Set<string>;
  parents: Set<string>;
}

type Raw = Record<string, unknown>;

/**
 * Reads an Ansible inventory in YAML form (`all:` / top-level groups with `hosts`, `children` and `vars`),
 * plus `group_vars/<group>.yml|.yaml|/` and `host_vars/<host>.yml|.yaml|/` beside the file, the way Ansible
 * does. Host name ranges such as `dev[01:50]` are expanded. Simple `{{ var }}` references in connection
 * variables are substituted from the host's variables.
 * Throws UserError (`inventory`) for an unreadable file, YAML syntax errors (with the line) or a wrong shape.
 */
export function loadInventory(file: string): Inventory {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(`cannot read inventory ${file}: ${(err as NodeJS.ErrnoException).code}`, {
      code: ErrorCode.INVENTORY,
      fix: "pass the inventory with -i FILE (see ansible/inventory.example.yml)",
      cause: err,
    });
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const pos = lines.linePos(first.pos[0]);
    throw new UserError(`inventory ${file}:${pos.line}: YAML syntax error: ${first.message.split("\n")[0]}`, {
      code: ErrorCode.INVENTORY,
      fix: "fix the YAML at that line (indentation, colons, quotes)",
    });
  }
  const root = (doc.toJS() ?? {}) as unknown;
  if (!isObject(root)) throw shapeError(file, "(top level)", "a mapping of groups");
  return buildInventory(file, root, (kind, name) => readVarsDir(join(dirname(file), kind, name), file));
}

/** Builds an Inventory from parsed YAML; `extraVars(kind, name)` supplies group_vars/host_vars files. */
export function buildInventory(
  file: string,
  root: Raw,
  extraVars: (kind: "group_vars" | "host_vars", name: string) => Raw = () => ({}),
): Inventory {
  const groups = new Map<string, GroupNode>();
  const hostOrder: string[] = [];
  const group = (name: string): GroupNode => {
    let g = groups.get(name);
    if (!g) {
      g = { name, vars: {}, hosts: new Map(), children: new Set(), parents: new Set() };
      groups.set(name, g);
    }
    return g;
  };
  const visit = (name: string, body: unknown, path: string): void => {
    const g = group(name);
    if (body === null || body === undefined) return;
    if (!isObject(body)) throw shapeError(file, path, "a mapping with hosts, children or vars");
    for (const key of Object.keys(body)) {
      if (!["hosts", "children", "vars"].includes(key))
        throw shapeError(file, `${path}.${key}`, "one of hosts, children, vars");
    }
    // Sections in file order, so hosts keep the order they are written in.
    for (const key of Object.keys(body)) {
      const value = body[key];
      if (value === undefined || value === null) continue;
      if (key === "vars") {
        if (!isObject(value)) throw shapeError(file, `${path}.vars`, "a mapping");
        Object.assign(g.vars, value);
      } else if (key === "hosts") {
        if (!isObject(value)) throw shapeError(file, `${path}.hosts`, "a mapping of host names");
        for (const [pattern, hostVars] of Object.entries(value)) {
          if (hostVars !== null && !isObject(hostVars))
            throw shapeError(file, `${path}.hosts.${pattern}`, "a mapping of variables (or empty)");
          for (const host of expandHostPattern(pattern)) {
            if (!hostOrder.includes(host)) hostOrder.push(host);
            g.hosts.set(host, { ...(g.hosts.get(host) ?? {}), ...(hostVars ?? {}) });
          }
        }
      } else {
        if (!isObject(value)) throw shapeError(file, `${path}.children`, "a mapping of groups");
        for (const [child, childBody] of Object.entries(value)) {
          g.children.add(child);
          group(child).parents.add(name);
          visit(child, childBody, `${path}.children.${child}`);
        }
      }
    }
  };
  for (const [name, body] of Object.entries(root)) visit(name, body, name);
  const all = group("all");
  for (const g of groups.values()) if (g.name !== "all" && g.parents.size === 0) all.children.add(g.name);

  const members = new Map<string, string[]>();
  const collect = (name: string, seen: Set<string>): string[] => {
    if (seen.has(name)) return [];
    seen.add(name);
    const g = groups.get(name);
    if (!g) return [];
    const out = new Set(g.hosts.keys());
    for (const c of g.children) for (const h of collect(c, seen)) out.add(h);
    return [...out];
  };
  for (const name of groups.keys()) {
    const set = new Set(collect(name, new Set()));
    members.set(
      name,
      hostOrder.filter((h) => set.has(h)),
    );
  }
  members.set("all", [...hostOrder]);

  const depth = (name: string, seen = new Set<string>()): number => {
    if (name === "all" || seen.has(name)) return 0;
    seen.add(name);
    const g = groups.get(name);
    const parents = g ? [...g.parents] : [];
    return 1 + Math.max(0, ...parents.map((p) => depth(p, seen)));
  };
  const hosts = hostOrder.map((name): InventoryHost => {
    const hostGroups = [...groups.keys()]
      .filter((g) => g === "all" || members.get(g)?.includes(name))
      .sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
    const vars: Raw = {};
    for (const g of hostGroups) Object.assign(vars, groups.get(g)?.vars, extraVars("group_vars", g));
    for (const g of hostGroups) Object.assign(vars, groups.get(g)?.hosts.get(name));
    Object.assign(vars, extraVars("host_vars", name));
    return toHost(file, name, hostGroups, vars);
  });
  return { file, hosts, groups: members };
}

/**
 * Picks hosts by an Ansible-style limit: names of groups or hosts separated by `,` or `:`, `*` / `?`
 * wildcards, `!name` to exclude, `&name` to intersect. Throws UserError (`fleet_limit_no_match`) when it matches nothing.
 */
export function selectHosts(inventory: Inventory, limit?: string): InventoryHost[] {
  if (!limit) return inventory.hosts;
  const resolve = (term: string): Set<string> => {
    const re = globToRegExp(term);
    const out = new Set<string>();
    for (const [g, hs] of inventory.groups) if (re.test(g)) for (const h of hs) out.add(h);
    for (const h of inventory.hosts) if (re.test(h.name)) out.add(h.name);
    return out;
  };
  let chosen = new Set<string>();
  const terms = limit.split(/[,:]/).filter(Boolean);
  for (const t of terms.filter((x) => !x.startsWith("!") && !x.startsWith("&")))
    for (const h of resolve(t)) chosen.add(h);
  if (terms.every((t) => t.startsWith("!") || t.startsWith("&")))
    chosen = new Set(inventory.hosts.map((h) => h.name));
  for (const t of terms.filter((x) => x.startsWith("&"))) {
    const keep = resolve(t.slice(1));
    chosen = new Set([...chosen].filter((h) => keep.has(h)));
  }
  for (const t of terms.filter((x) => x.startsWith("!")))
    for (const h of resolve(t.slice(1))) chosen.delete(h);
  const out = inventory.hosts.filter((h) => chosen.has(h.name));
  if (out.length === 0) {
    throw new UserError(`--limit ${limit} matches no host of ${inventory.file}`, {
      code: ErrorCode.FLEET_LIMIT_NO_MATCH,
      fix: `use one of the groups ${[...inventory.groups.keys()].join(", ")} or a host name`,
    });
  }
  return out;
}

/** Expands `web[01:03].lan` to web01.lan, web02.lan, web03.lan (numeric ranges, zero padding kept). */
export function expandHostPattern(pattern: string): string[] {
  const m = /^(.*)\[(\d+):(\d+)\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, head = "", from = "", to = "", tail = ""] = m;
  const width = from.startsWith("0") ? from.length : 0;
  const out: string[] = [];
  for (let i = Number(from); i <= Number(to); i++) {
    for (const rest of expandHostPattern(tail)) out.push(`${head}${String(i).padStart(width, "0")}${rest}`);
  }
  return out;
}

function toHost(file: string, name: string, groups: string[], vars: Raw): InventoryHost {
  const get = (...keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = vars[k];
      if (v !== undefined && v !== null && v !== "") return substitute(String(v), vars, file, name, k);
    }
    return undefined;
  };
  const portText = get("ansible_port", "ansible_ssh_port") ?? "22";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UserError(`inventory ${file}: host ${name} has ansible_port ${portText}, not a TCP port`, {
      code: ErrorCode.INVENTORY,
      fix: "set ansible_port to a number from 1 to 65535",
    });
  }
  const keyFile = get("ansible_ssh_private_key_file", "ansible_private_key_file");
  return {
    name,
    address: get("ansible_host", "ansible_ssh_host") ?? name,
    port,
    user: get("ansible_user", "ansible_ssh_user", "ansible_ssh_user") ?? userInfo().username,
    ...(keyFile ? { keyFile: keyFile.replace(/^~(?=\/|$)/, process.env.HOME ?? userInfo().homedir) } : {}),
    groups,
    vars,
  };
}

/** Replaces `{{ name }}` with the host's variable; anything more complex cannot be evaluated here. */
function substitute(value: string, vars: Raw, file: string, host: string, key: string, depth = 0): string {
  if (!value.includes("{{")) return value;
  return value.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (whole, expr: string) => {
    const v = /^[A-Za-z_][A-Za-z0-9_]*$/.test(expr) ? vars[expr] : undefined;
    if (v === undefined || depth > 5) {
      throw new UserError(
        `inventory ${file}: host ${host} ${key} uses ${whole}, which clawbox cannot evaluate`,
        {
          code: ErrorCode.INVENTORY,
          fix: "use a plain value or a reference to another variable ({{ name }}) for connection settings",
        },
      );
    }
    return substitute(String(v), vars, file, host, key, depth + 1);
  });
}

/** Variables of `group_vars/<name>` or `host_vars/<name>`: a .yml/.yaml file or a folder of them. */
function readVarsDir(base: string, inventoryFile: string): Raw {
  const files: string[] = [];
  for (const ext of ["", ".yml", ".yaml"]) {
    const p = base + ext;
    if (!existsSync(p)) continue;
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.ya?ml$/.test(f)) files.push(join(p, f));
    } else if (ext) files.push(p);
  }
  const out: Raw = {};
  for (const f of files) {
    const doc = parseDocument(readFileSync(f, "utf8"));
    if (doc.errors.length > 0) {
      throw new UserError(`${f} (vars of inventory ${inventoryFile}): YAML syntax error`, {
        code: ErrorCode.INVENTORY,
        fix: "fix the YAML syntax of that file",
      });
    }
    const value = doc.toJS() as unknown;
    if (isObject(value)) Object.assign(out, value);
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

function isObject(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function shapeError(file: string, path: string, want: string): UserError {
  return new UserError(`inventory ${file}: ${path} must be ${want}`, {
    code: ErrorCode.INVENTORY,
    fix: "follow Ansible's YAML inventory layout (see ansible/inventory.example.yml)",
  });
}
