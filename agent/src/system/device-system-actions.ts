import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../config/atomic-write.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { RecordingSystemActions } from "./recording-system-actions.js";
import type { NetworkSupport, SystemActions, WifiNetwork } from "./system-actions.js";
import { assertHostname, assertSsid, assertTimezoneName, assertWifiPassphrase } from "./system-input.js";

/** Runs a program with an argument array (never a shell); resolves with stdout. Injected by tests. */
export type CommandRunner = (file: string, args: string[]) => Promise<string>;

/** execFile without a shell, 30 s timeout, 1 MiB of output at most. */
export const execRunner: CommandRunner = (file, args) =>
  new Promise((resolve, reject) =>
    execFile(file, args, { timeout: 30_000, maxBuffer: 1024 * 1024, shell: false }, (err, stdout, stderr) =>
      err ? reject(Object.assign(err, { stderr: String(stderr) })) : resolve(String(stdout)),
    ),
  );

/**
 * Splits one line of `nmcli -t` output into fields: ":" separates, "\:" and "\\" are escapes (nmcli(1),
 * "--terse").
 */
export function splitTerse(line: string): string[] {
  const fields: string[] = [];
  let cur = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "\\" && i + 1 < line.length) cur += line[++i];
    else if (c === ":") {
      fields.push(cur);
      cur = "";
    } else cur += c;
  }
  fields.push(cur);
  return fields;
}

/**
 * SystemActions on a device: hostnamectl / timedatectl / nmcli (authorised for the agent's user by the
 * polkit rules of the image) with argument arrays. SSH keys are written to `<dataDir>/ssh/authorized_keys`,
 * which a root-owned systemd path unit installs for the administration account (the agent itself cannot
 * write outside its data dir).
 */
export class DeviceSystemActions implements SystemActions {
  readonly kind = "device" as const;

  constructor(
    private readonly dataDir: string,
    private readonly run: CommandRunner = execRunner,
  ) {}

  async #exec(file: string, args: string[], what: string): Promise<string> {
    try {
      return await this.run(file, args);
    } catch (err) {
      const detail = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split("\n")[0];
      throw new UserError(`could not ${what}: ${detail}`, {
        code: ErrorCode.SYSTEM_ACTION_FAILED,
        status: 502,
        fix: "check the agent's journal (journalctl -u clawbox-agent) and try again",
        cause: err,
      });
    }
  }

  async setHostname(name: string): Promise<void> {
    assertHostname(name);
    await this.#exec("hostnamectl", ["set-hostname", "--", name], "set the host name");
  }

  async setTimezone(timezone: string): Promise<void> {
    assertTimezoneName(timezone);
    await this.#exec("timedatectl", ["set-timezone", "--", timezone], "set the time zone");
  }

  async networkSupport(): Promise<NetworkSupport> {
    let out: string;
    try {
      out = await this.run("nmcli", ["-t", "-f", "TYPE", "device", "status"]);
    } catch {
      return { wifi: false, reason: "no-networkmanager" };
    }
    const hasWifi = out.split("\n").some((l) => l.trim() === "wifi");
    return hasWifi ? { wifi: true, reason: null } : { wifi: false, reason: "no-wifi-device" };
  }

  async wifiScan(): Promise<WifiNetwork[]> {
    const out = await this.#exec(
      "nmcli",
      ["-t", "-f", "ACTIVE,SSID,SIGNAL,SECURITY", "device", "wifi", "list", "--rescan", "yes"],
      "scan for Wi-Fi networks",
    );
    const bySsid = new Map<string, WifiNetwork>();
    for (const line of out.split("\n")) {
      if (!line.trim()) continue;
      const [active, ssid, signal, security] = splitTerse(line);
      if (!ssid) continue;
      const net = { ssid, signal: Number(signal) || 0, security: security ?? "", active: active === "yes" };
      const seen = bySsid.get(ssid);
      if (!seen || net.signal > seen.signal || net.active)
        bySsid.set(ssid, { ...net, active: net.active || !!seen?.active });
    }
    return [...bySsid.values()].sort((a, b) => b.signal - a.signal);
  }

  async wifiJoin(ssid: string, passphrase: string | null): Promise<void> {
    assertSsid(ssid);
    const args = ["device", "wifi", "connect", ssid];
    if (passphrase !== null) {
      assertWifiPassphrase(passphrase);
      args.push("password", passphrase);
    }
    await this.#exec("nmcli", args, `join the Wi-Fi network ${ssid}`);
  }

  async setSshKeys(lines: string[]): Promise<void> {
    const dir = join(this.dataDir, "ssh");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(join(dir, "authorized_keys"), lines.map((l) => `${l}\n`).join(""), { mode: 0o600 });
  }
}

/**
 * Picks the implementation: "device" and "record" as asked; "auto" → device when the machine looks like a
 * clawbox device (the caller decides `isDevice`, e.g. /etc/clawbox exists), else record.
 */
export function chooseSystemActions(
  mode: "auto" | "device" | "record",
  dataDir: string,
  isDevice: boolean,
): SystemActions {
  if (mode === "device" || (mode === "auto" && isDevice)) return new DeviceSystemActions(dataDir);
  return new RecordingSystemActions(dataDir);
}
