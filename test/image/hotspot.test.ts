import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { explain, ROOT, run } from "./tools.js";

// The setup hotspot (image/libexec/hotspot): its decision from NetworkManager's terse output (the format
// of `nmcli -t`, nmcli(1): fields joined by ":", a ":" inside a field escaped as "\:"), and the units and
// Ansible tasks that install it. Opening a real access point needs a Wi-Fi radio: not here (image/README.md).

const SCRIPT = join(ROOT, "image", "libexec", "hotspot");
const work = mkdtempSync(join(tmpdir(), "clawbox-hotspot-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `hotspot decide` on the given `device status` and `connection show` outputs; returns its line. */
function decide(devices: string[], connections: string[]): string {
  const d = join(work, "devices");
  const c = join(work, "connections");
  writeFileSync(d, `${devices.join("\n")}\n`);
  writeFileSync(c, connections.length ? `${connections.join("\n")}\n` : "");
  const r = run("bash", [SCRIPT, "decide", d, c]);
  expect(r.code, explain(r)).toBe(0);
  return r.stdout.trim();
}

const LO = "lo:loopback:connected (externally):lo";
const P2P = "p2p-dev-wlan0:wifi-p2p:disconnected:";
const ETH_DOWN = "eth0:ethernet:unavailable:";
const ETH_UP = "eth0:ethernet:connected:Wired connection 1";
const WIFI_IDLE = "wlan0:wifi:disconnected:";

describe("hotspot decision", () => {
  it("opens on the Wi-Fi interface when there is no network and no saved Wi-Fi", () => {
    expect(decide([ETH_DOWN, WIFI_IDLE, P2P, LO], ["Wired connection 1:802-3-ethernet", "lo:loopback"])).toBe(
      "open wlan0",
    );
  });

  it("does nothing on a device without Wi-Fi, or with the radio unavailable (rfkill)", () => {
    expect(decide([ETH_DOWN, LO], [])).toBe("none no-wifi-device");
    expect(decide([ETH_DOWN, "wlan0:wifi:unavailable:", LO], [])).toBe("none no-wifi-device");
  });

  it("closes (or stays closed) when Ethernet is connected", () => {
    expect(decide([ETH_UP, WIFI_IDLE, LO], ["Wired connection 1:802-3-ethernet"])).toBe("close connected");
  });

  it("closes once a Wi-Fi connection is saved (seed or wizard), also with ':' in its name", () => {
    expect(decide([ETH_DOWN, WIFI_IDLE], ["Home:802-11-wireless"])).toBe("close wifi-saved");
    expect(
      decide(
        [ETH_DOWN, "wlan0:wifi:connected:clawbox-setup"],
        ["clawbox-setup:802-11-wireless", "Caf\\:e:802-11-wireless"],
      ),
    ).toBe("close wifi-saved");
  });

  it("keeps an open hotspot open: its own connection is neither a saved Wi-Fi nor a network", () => {
    expect(
      decide([ETH_DOWN, "wlan0:wifi:connected:clawbox-setup", P2P], ["clawbox-setup:802-11-wireless"]),
    ).toBe("open wlan0");
  });
});

describe("hotspot installation", () => {
  const unit = readFileSync(join(ROOT, "image", "systemd", "clawbox-hotspot.service"), "utf8");
  const pathUnit = readFileSync(join(ROOT, "image", "systemd", "clawbox-hotspot.path"), "utf8");
  const tasks = parse(
    readFileSync(join(ROOT, "ansible", "roles", "firstboot", "tasks", "hotspot.yml"), "utf8"),
  ) as {
    name: string;
    [module: string]: unknown;
  }[];

  it("runs after NetworkManager and first boot (seed import), only with a Wi-Fi interface", () => {
    expect(unit).toMatch(/^After=.*\bNetworkManager\.service\b.*$/m);
    expect(unit).toMatch(/^After=.*\bclawbox-firstboot\.service\b.*$/m);
    expect(unit).toMatch(/^ConditionPathExistsGlob=\/sys\/class\/net\/\*\/wireless$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/libexec\/clawbox\/hotspot$/m);
    expect(unit).toMatch(/^RuntimeDirectoryMode=0700$/m);
    expect(pathUnit).toMatch(/^PathChanged=\/etc\/NetworkManager\/system-connections$/m);
    expect(pathUnit).toMatch(/^Unit=clawbox-hotspot\.service$/m);
  });

  it("the firstboot role installs the script where the unit runs it, and enables both units", () => {
    const copy = tasks.map((t) => t["ansible.builtin.copy"] as { dest?: string } | undefined);
    expect(copy.map((c) => c?.dest)).toContain("/usr/local/libexec/clawbox/hotspot");
    const enable = tasks.find((t) => t["ansible.builtin.systemd"]) as { loop: string[] } | undefined;
    expect(enable?.loop).toEqual(["clawbox-hotspot.service", "clawbox-hotspot.path"]);
    const main = readFileSync(join(ROOT, "ansible", "roles", "firstboot", "tasks", "main.yml"), "utf8");
    expect(main).toContain("import_tasks: hotspot.yml");
  });

  it("the firewall lets hotspot clients get an address and a name server from the device only", () => {
    const nft = readFileSync(
      join(ROOT, "ansible", "roles", "hardening", "templates", "nftables.conf.j2"),
      "utf8",
    );
    expect(nft).toContain('iifname "wl*" udp dport { 53, 67 } accept');
    expect(nft).toMatch(/chain forward \{\n\s+type filter hook forward priority filter; policy drop;/);
  });

  it("the script passes bash -n and opens WPA2 only (RSN + CCMP), in memory only", () => {
    const r = run("bash", ["-n", SCRIPT]);
    expect(r.code, explain(r)).toBe(0);
    const script = readFileSync(SCRIPT, "utf8");
    expect(script).toContain("wifi-sec.proto rsn wifi-sec.pairwise ccmp wifi-sec.group ccmp");
    expect(script).toContain("connection add save no");
  });
});
