import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { expandHostPattern, loadInventory, selectHosts } from "./inventory.js";

const dir = mkdtempSync(join(tmpdir(), "clawbox-inventory-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INVENTORY = `
all:
  vars:
    ansible_user: admin
    clawbox_agent_root: /opt/clawbox
    tier: all
  children:
    canary:
      hosts:
        pi-01:
          ansible_host: 192.168.1.21
      vars:
        tier: canary
    shop:
      vars:
        tier: shop
        ansible_port: 2222
      children:
        shop_front:
          hosts:
            pi-0[2:4]:
          vars:
            tier: front
      hosts:
        nuc-01:
          ansible_host: 10.0.0.5
          ansible_ssh_private_key_file: ~/.ssh/fleet
          ansible_user: "{{ fleet_user }}"
          fleet_user: ops
lab:
  hosts:
    pi-01:
      lab_only: true
    bench-1:
`;

function write(text: string, name = "inventory.yml"): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("loadInventory", () => {
  const file = write(INVENTORY);
  mkdirSync(join(dir, "group_vars"), { recursive: true });
  writeFileSync(join(dir, "group_vars", "shop_front.yml"), "ansible_port: 2200\nfrom_file: true\n");
  mkdirSync(join(dir, "host_vars"), { recursive: true });
  writeFileSync(join(dir, "host_vars", "pi-03.yaml"), "ansible_port: 2203\n");
  const inv = loadInventory(file);
  const host = (n: string) => inv.hosts.find((h) => h.name === n);

  it("expands ranges and keeps file order", () => {
    expect(inv.hosts.map((h) => h.name)).toEqual(["pi-01", "pi-02", "pi-03", "pi-04", "nuc-01", "bench-1"]);
  });

  it("merges variables all < parent < child < group_vars file < host (and host_vars file)", () => {
    expect(host("pi-02")).toMatchObject({ address: "pi-02", port: 2200, user: "admin" });
    expect(host("pi-02")?.vars.tier).toBe("front");
    expect(host("pi-02")?.vars.from_file).toBe(true);
    expect(host("pi-03")?.port).toBe(2203);
    expect(host("pi-01")).toMatchObject({ address: "192.168.1.21", port: 22 });
    expect(host("pi-01")?.vars.lab_only).toBe(true);
    expect(host("pi-01")?.groups).toEqual(["all", "canary", "lab"]);
  });

  it("resolves {{ var }} references and ~ in key files", () => {
    const nuc = host("nuc-01");
    expect(nuc?.user).toBe("ops");
    expect(nuc?.port).toBe(2222);
    expect(nuc?.keyFile).toMatch(/\/\.ssh\/fleet$/);
    expect(nuc?.keyFile?.startsWith("~")).toBe(false);
  });

  it("computes group membership through children", () => {
    expect(inv.groups.get("shop")).toEqual(["pi-02", "pi-03", "pi-04", "nuc-01"]);
    expect(inv.groups.get("lab")).toEqual(["pi-01", "bench-1"]);
  });

  it("selects with Ansible limit patterns", () => {
    const names = (limit: string) => selectHosts(inv, limit).map((h) => h.name);
    expect(names("canary")).toEqual(["pi-01"]);
    expect(names("shop:!shop_front")).toEqual(["nuc-01"]);
    expect(names("pi-*,bench-1")).toEqual(["pi-01", "pi-02", "pi-03", "pi-04", "bench-1"]);
    expect(names("shop:&pi-0?")).toEqual(["pi-02", "pi-03", "pi-04"]);
    expect(names("!lab")).toEqual(["pi-02", "pi-03", "pi-04", "nuc-01"]);
    expect(() => selectHosts(inv, "nope")).toThrow(/matches no host/);
  });
});

describe("loadInventory errors", () => {
  it("names the line of a YAML syntax error", () => {
    const file = write("all:\n  hosts:\n    a: [\n", "bad.yml");
    expect(() => loadInventory(file)).toThrow(/bad\.yml:\d+: YAML syntax error/);
  });

  it("rejects unknown keys and bad ports with a fix", () => {
    const typo = write("all:\n  host:\n    a:\n", "typo.yml");
    expect(() => loadInventory(typo)).toThrow(/all\.host must be one of hosts, children, vars/);
    const port = write("all:\n  hosts:\n    a:\n      ansible_port: 70000\n", "port.yml");
    try {
      loadInventory(port);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).fix).toContain("1 to 65535");
    }
  });

  it("refuses templates it cannot evaluate instead of connecting somewhere wrong", () => {
    const file = write(
      "all:\n  hosts:\n    a:\n      ansible_host: \"{{ lookup('env', 'X') }}\"\n",
      "tpl.yml",
    );
    expect(() => loadInventory(file)).toThrow(/cannot evaluate/);
  });
});

describe("expandHostPattern", () => {
  it("keeps zero padding and handles plain names", () => {
    expect(expandHostPattern("dev[08:10].lan")).toEqual(["dev08.lan", "dev09.lan", "dev10.lan"]);
    expect(expandHostPattern("web[1:2]")).toEqual(["web1", "web2"]);
    expect(expandHostPattern("solo")).toEqual(["solo"]);
  });
});
