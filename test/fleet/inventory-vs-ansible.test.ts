import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
