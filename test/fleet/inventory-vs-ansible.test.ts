import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../agent/src/errors.js";
import { readInventory } from "../../agent/src/fleet/ansible-inventory.js";
import { loadInventory } from "../../agent/src/fleet/inventory.js";
import { REPO } from "./devices.js";

/**
 * clawbox's inventory reader against Ansible's own (`ansible-inventory --list`) on the example inventory:
 * same hosts, same groups, same connection variables.
 */
describe("ansible/inventory.example.yml", () => {
  const file = join(REPO, "ansible", "inventory.example.yml");
  const ansible = JSON.parse(
    execFileSync("ansible-inventory", ["-i", file, "--list"], {
      cwd: tmpdir(),
    }).toString(),
  ) as Record<string, { hosts?: string[]; children?: string[] }> & {
    _meta: { hostvars: Record<string, Record<string, unknown>> };
  };
  const ours = loadInventory(file);

  const ansibleMembers = (group: string): string[] => {
    const g = ansible[group];
    const own = g?.hosts ?? [];
    return [...own, ...(g?.children ?? []).flatMap(ansibleMembers)];
  };

  it("has the same hosts and group members as Ansible", () => {
    expect(ours.hosts.map((h) => h.name).sort()).toEqual(Object.keys(ansible._meta.hostvars).sort());
    for (const group of ["clawbox", "canary", "shop", "office", "clawbox_lb"]) {
      expect([...(ours.groups.get(group) ?? [])].sort(), group).toEqual(ansibleMembers(group).sort());
    }
  });

  it("resolves the same connection variables as Ansible", () => {
    for (const host of ours.hosts) {
      const vars = ansible._meta.hostvars[host.name] ?? {};
      expect(host.address, host.name).toBe(vars.ansible_host ?? host.name);
      expect(host.user, host.name).toBe(vars.ansible_user);
      expect(host.port, host.name).toBe(Number(vars.ansible_port ?? 22));
      expect(host.vars.clawbox_update_health_retries, host.name).toBe(vars.clawbox_update_health_retries);
    }
  });
});

/**
 * `clawbox fleet` reads inventories through `ansible-inventory --list` (readInventory): INI, Ansible's
 * default format, with host ranges and group vars, gives the same hosts and connection settings as the
 * equivalent YAML read by clawbox's own reader, which stays the fallback where Ansible is not installed.
 */
describe("readInventory (ansible-inventory)", () => {
  const dir = mkdtempSync(join(tmpdir(), "clawbox-inventory-"));
  const ini = join(dir, "inventory.ini");
  writeFileSync(
    ini,
    [
      "[canary]",
      "lab-pi-01 ansible_host=192.168.10.21",
      "",
      "[shop]",
      "pi-[01:05] ansible_port=2222",
      "",
      "[shop:vars]",
      "clawbox_update_health_retries=90",
      "",
      "[clawbox:children]",
      "canary",
      "shop",
      "",
      "[all:vars]",
      "ansible_user=admin",
      "",
    ].join("\n"),
  );
  const yaml = join(dir, "inventory.yml");
  writeFileSync(
    yaml,
    [
      "all:",
      "  vars: { ansible_user: admin }",
      "  children:",
      "    clawbox:",
      "      children:",
      "        canary: { hosts: { lab-pi-01: { ansible_host: 192.168.10.21 } } }",
      "        shop:",
      "          vars: { clawbox_update_health_retries: 90 }",
      "          hosts: { 'pi-[01:05]': { ansible_port: 2222 } }",
      "",
    ].join("\n"),
  );

  it("reads an INI inventory with a host range like the equivalent YAML", async () => {
    const fromIni = await readInventory(ini, "ansible-inventory", join(dir, "cache"));
    const fromYaml = loadInventory(yaml);
    const shape = (inv: typeof fromYaml) =>
      inv.hosts
        .map((h) => ({ name: h.name, address: h.address, port: h.port, user: h.user, groups: h.groups }))
        .sort((a, b) => a.name.localeCompare(b.name));
    expect(shape(fromIni)).toEqual(shape(fromYaml));
    expect(fromIni.groups.get("shop")).toEqual(["pi-01", "pi-02", "pi-03", "pi-04", "pi-05"]);
    expect(fromIni.hosts.find((h) => h.name === "pi-03")?.vars.clawbox_update_health_retries).toBe(90);
  });

  it("answers from its cache until the inventory changes", async () => {
    const cacheDir = join(dir, "cache");
    const file = join(dir, "cached.ini");
    writeFileSync(file, "[shop]\npi-[01:02]\n");
    expect((await readInventory(file, "ansible-inventory", cacheDir)).hosts).toHaveLength(2);
    // same file: Ansible is not asked again (without the cache, a missing ansible-inventory fails for INI)
    expect((await readInventory(file, join(dir, "no-ansible"), cacheDir)).hosts).toHaveLength(2);
    writeFileSync(file, "[shop]\npi-[01:03]\n");
    expect((await readInventory(file, "ansible-inventory", cacheDir)).hosts).toHaveLength(3);
  });

  it("reports what Ansible says about an inventory it cannot parse", async () => {
    const bad = join(dir, "bad.ini");
    writeFileSync(bad, "[shop\npi-01\n");
    const err = await readInventory(bad, "ansible-inventory", join(dir, "cache")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(
      /^inventory .*bad\.ini: Failed to parse .*bad\.ini with ini plugin/,
    );
  });

  it("falls back to clawbox's YAML reader without Ansible, and says to install it for INI", async () => {
    const missing = join(dir, "no-such-ansible-inventory");
    const emptyCache = join(dir, "empty-cache");
    expect((await readInventory(yaml, missing, emptyCache)).hosts).toHaveLength(6);
    const err = await readInventory(ini, missing, emptyCache).catch((e: unknown) => e);
    expect((err as UserError).fix).toMatch(/install Ansible/);
  });
});
