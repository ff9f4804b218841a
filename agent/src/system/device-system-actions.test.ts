import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { type CommandRunner, DeviceSystemActions, splitTerse } from "./device-system-actions.js";
import { RecordingSystemActions, systemRequestsPath } from "./recording-system-actions.js";

const tmp = mkdtempSync(join(tmpdir(), "clawbox-system-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A command runner that records argument arrays and answers from a table (the seam for exec). */
function runner(answers: Record<string, string | Error> = {}) {
  const calls: string[][] = [];
  const run: CommandRunner = async (file, args) => {
    calls.push([file, ...args]);
    const answer = answers[file];
    if (answer instanceof Error) throw answer;
    return answer ?? "";
  };
  return { calls, run };
}

describe("DeviceSystemActions", () => {
  it("calls hostnamectl and timedatectl with argument arrays (no shell, '--' before values)", async () => {
    const r = runner();
    const actions = new DeviceSystemActions(tmp, r.run);
    await actions.setHostname("kitchen-box");
    await actions.setTimezone("Asia/Shanghai");
    expect(r.calls).toEqual([
      ["hostnamectl", "set-hostname", "--", "kitchen-box"],
      ["timedatectl", "set-timezone", "--", "Asia/Shanghai"],
    ]);
  });

  it("refuses unvalidated input before running anything", async () => {
    const r = runner();
    const actions = new DeviceSystemActions(tmp, r.run);
    await expect(actions.setHostname("a; rm -rf /")).rejects.toThrow(/refusing hostname/);
    await expect(actions.setTimezone("$(reboot)")).rejects.toThrow(/refusing time zone/);
    await expect(actions.wifiJoin("-evil", null)).rejects.toThrow(/refusing SSID/);
    await expect(actions.wifiJoin("home", "short")).rejects.toThrow(/passphrase/);
    expect(r.calls).toEqual([]);
  });

  it("scans Wi-Fi with nmcli's terse output (escaped colons), strongest first, one row per SSID", async () => {
    const r = runner({
      nmcli: "no:Cafe\\:Guest:40:\nyes:Home:72:WPA2\nno:Home:55:WPA2\nno::30:WPA2\nno:Attic:90:WPA1 WPA2\n",
    });
    const nets = await new DeviceSystemActions(tmp, r.run).wifiScan();
    expect(nets).toEqual([
      { ssid: "Attic", signal: 90, security: "WPA1 WPA2", active: false },
      { ssid: "Home", signal: 72, security: "WPA2", active: true },
      { ssid: "Cafe:Guest", signal: 40, security: "", active: false },
    ]);
    expect(r.calls[0]).toEqual([
      "nmcli",
      "-t",
      "-f",
      "ACTIVE,SSID,SIGNAL,SECURITY",
      "device",
      "wifi",
      "list",
      "--rescan",
      "yes",
    ]);
    expect(splitTerse("a\\\\b:c")).toEqual(["a\\b", "c"]);
  });

  it("joins with the passphrase as its own argument and turns failures into a UserError", async () => {
    const r = runner();
    await new DeviceSystemActions(tmp, r.run).wifiJoin("Home net", "correct horse");
    expect(r.calls).toEqual([
      ["nmcli", "device", "wifi", "connect", "Home net", "password", "correct horse"],
    ]);
    const failing = runner({
      nmcli: Object.assign(new Error("exit 4"), { stderr: "Error: No network with SSID 'x' found.\n" }),
    });
    const err = await new DeviceSystemActions(tmp, failing.run).wifiJoin("x", null).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe("could not join the Wi-Fi network x: Error: No network with SSID 'x' found.");
  });

  it("reports why Wi-Fi is unavailable", async () => {
    expect(
      await new DeviceSystemActions(tmp, runner({ nmcli: new Error("ENOENT") }).run).networkSupport(),
    ).toEqual({
      wifi: false,
      reason: "no-networkmanager",
    });
    expect(
      await new DeviceSystemActions(tmp, runner({ nmcli: "ethernet\nloopback\n" }).run).networkSupport(),
    ).toEqual({
      wifi: false,
      reason: "no-wifi-device",
    });
    expect(
      await new DeviceSystemActions(tmp, runner({ nmcli: "ethernet\nwifi\n" }).run).networkSupport(),
    ).toEqual({
      wifi: true,
      reason: null,
    });
  });

  it("hands SSH keys to the root-owned path unit through <dataDir>/ssh/authorized_keys (0600)", async () => {
    await new DeviceSystemActions(tmp, runner().run).setSshKeys(["ssh-ed25519 AAAA a", "ssh-ed25519 BBBB b"]);
    const file = join(tmp, "ssh", "authorized_keys");
    expect(readFileSync(file, "utf8")).toBe("ssh-ed25519 AAAA a\nssh-ed25519 BBBB b\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe("RecordingSystemActions", () => {
  it("records requests as JSON lines without the Wi-Fi passphrase", async () => {
    const dir = join(tmp, "rec");
    const actions = new RecordingSystemActions(dir);
    await actions.setHostname("box");
    await actions.wifiJoin("Home", "correct horse");
    const lines = readFileSync(systemRequestsPath(dir), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.action)).toEqual(["set-hostname", "wifi-join"]);
    expect(lines[1]).toMatchObject({ ssid: "Home", secured: true });
    expect(JSON.stringify(lines)).not.toContain("correct horse");
  });
});
