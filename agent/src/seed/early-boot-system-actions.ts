import {
  chownSync,
  existsSync,
  readFileSync,
  readlinkSync,
  renameSync,
  symlinkSync,
  unlinkSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { NetworkSupport, SystemActions, WifiNetwork } from "../system/system-actions.js";
import {
  assertHostname,
  assertSsid,
  assertTimezoneName,
  assertWifiPassphrase,
} from "../system/system-input.js";
import { seedConnectionFile, wifiKeyfile } from "./nm-keyfile.js";
import { writeIfChanged } from "./owned-file.js";
import type { SeedWifi } from "./seed-file.js";
import type { SeedPaths } from "./seed-paths.js";

/**
 * SystemActions for first boot, before D-Bus runs (clawbox-firstboot.service is ordered before
 * sysinit.target, so hostnamed, timedated and NetworkManager are not there yet): writes the files those
 * services read when they start, below a root prefix (SeedPaths). Runs as root. Every method first compares
 * the current file and writes only what differs; `changes` lists what was written (one line per item, no
 * secret values), so a second import of the same seed leaves it empty.
 */
export class EarlyBootSystemActions implements SystemActions {
  readonly kind = "device" as const;
  /** What this instance changed, e.g. "hostname clawbox-kitchen", in order. */
  readonly changes: string[] = [];

  constructor(private readonly paths: SeedPaths) {}

  #note(changed: boolean, what: string): void {
    if (changed) this.changes.push(what);
  }

  /** /etc/hostname and the 127.0.1.1 line of /etc/hosts (Debian's convention for the host's own name). */
  async setHostname(name: string): Promise<void> {
    assertHostname(name);
    let changed = writeIfChanged(this.paths.hostname, `${name}\n`, { mode: 0o644 });
    const hosts = existsSync(this.paths.hosts)
      ? readFileSync(this.paths.hosts, "utf8")
      : "127.0.0.1\tlocalhost\n";
    const line = `127.0.1.1\t${name}`;
    const next = /^127\.0\.1\.1\s.*$/m.test(hosts)
      ? hosts.replace(/^127\.0\.1\.1\s.*$/m, line)
      : `${hosts}${hosts.endsWith("\n") || hosts === "" ? "" : "\n"}${line}\n`;
    changed = writeIfChanged(this.paths.hosts, next, { mode: 0o644 }) || changed;
    this.#note(changed, `hostname ${name}`);
  }

  /** /etc/localtime → /usr/share/zoneinfo/<zone> (symlink replaced atomically) and /etc/timezone. */
  async setTimezone(timezone: string): Promise<void> {
    assertTimezoneName(timezone);
    const target = `/usr/share/zoneinfo/${timezone}`;
    let current: string | null = null;
    try {
      current = readlinkSync(this.paths.localtime);
    } catch {
      current = null;
    }
    let changed = false;
    if (current !== target) {
      const tmp = join(dirname(this.paths.localtime), `.localtime.${process.pid}.tmp`);
      if (existsSync(tmp)) unlinkSync(tmp);
      symlinkSync(target, tmp);
      renameSync(tmp, this.paths.localtime);
      changed = true;
    }
    changed = writeIfChanged(this.paths.timezone, `${timezone}\n`, { mode: 0o644 }) || changed;
    this.#note(changed, `time zone ${timezone}`);
  }

  /** D-Bus and NetworkManager are not running this early. */
  async networkSupport(): Promise<NetworkSupport> {
    return { wifi: false, reason: "no-networkmanager" };
  }

  async wifiScan(): Promise<WifiNetwork[]> {
    return [];
  }

  /** Saves a connection NetworkManager joins when it starts (no country: the radio's default domain). */
  async wifiJoin(ssid: string, passphrase: string | null): Promise<void> {
    await this.saveWifi({ ssid, country: "", ...(passphrase === null ? {} : { psk: passphrase }) });
  }

  /**
   * Writes one NetworkManager keyfile (0600 root, nm-keyfile.ts) for `w`; NetworkManager loads it when it
   * starts. Throws (system-input.ts) on an SSID or passphrase that could not be a real one.
   */
  async saveWifi(w: SeedWifi): Promise<void> {
    assertSsid(w.ssid);
    if (w.psk !== undefined && !/^[0-9a-fA-F]{64}$/.test(w.psk)) assertWifiPassphrase(w.psk);
    const file = join(this.paths.nmConnections, seedConnectionFile(w.ssid));
    this.#note(
      writeIfChanged(file, wifiKeyfile(w), { mode: 0o600, dirMode: 0o700 }),
      `Wi-Fi network ${w.ssid}`,
    );
  }

  /**
   * The Wi-Fi regulatory domain for cfg80211 (`options cfg80211 ieee80211_regdom=XX`, applied when the
   * module loads; the kernel's regulatory database then limits channels and power for that country).
   */
  async setWifiCountry(country: string): Promise<void> {
    if (!/^[A-Z]{2}$/.test(country)) throw new Error(`refusing Wi-Fi country ${JSON.stringify(country)}`);
    const text = `# Written by clawbox seed import (the seed's wifi[].country).\noptions cfg80211 ieee80211_regdom=${country}\n`;
    this.#note(writeIfChanged(this.paths.wifiCountry, text, { mode: 0o644 }), `Wi-Fi country ${country}`);
  }

  /**
   * The seed's SSH keys for the administration account `admin`: the block between BEGIN_SEED_KEYS and
   * END_SEED_KEYS in ~admin/.ssh/authorized_keys (home and ids from /etc/passwd; 0600, .ssh 0700, owned by
   * admin) is replaced by `lines`; keys outside it (the image's own) stay. The wizard's keys live apart
   * (clawbox-ssh-keys installs them as sshd's second AuthorizedKeysFile). Throws when /etc/passwd has no
   * admin user.
   */
  async setSshKeys(lines: string[]): Promise<void> {
    const user = adminAccount(this.paths.passwd);
    const file = join(this.paths.root, user.home, ".ssh", "authorized_keys");
    const current = existsSync(file) ? readFileSync(file, "utf8") : "";
    const from = current.indexOf(BEGIN_SEED_KEYS);
    const to = current.indexOf(`${END_SEED_KEYS}\n`, from);
    const kept =
      from >= 0 && to > from
        ? current.slice(0, from) + current.slice(to + END_SEED_KEYS.length + 1)
        : current;
    const block = lines.length
      ? `${BEGIN_SEED_KEYS}\n${lines.map((l) => `${l}\n`).join("")}${END_SEED_KEYS}\n`
      : "";
    const text = `${kept}${kept === "" || kept.endsWith("\n") ? "" : "\n"}${block}`;
    const changed = writeIfChanged(file, text, { mode: 0o600, dirMode: 0o700 });
    if (changed && process.getuid?.() === 0) {
      chownSync(dirname(file), user.uid, user.gid);
      chownSync(file, user.uid, user.gid);
    }
    this.#note(changed, `${lines.length} SSH key(s) for admin`);
  }
}

/** Marks the seed's lines in authorized_keys (sshd ignores "#" lines, sshd(8) AUTHORIZED_KEYS FILE FORMAT). */
export const BEGIN_SEED_KEYS = "# BEGIN clawbox seed (clawbox.yaml ssh.authorizedKeys)";
export const END_SEED_KEYS = "# END clawbox seed";

/** The `admin` entry of a passwd(5) file: uid, gid, home. Throws when there is none. */
export function adminAccount(passwd: string): { uid: number; gid: number; home: string } {
  const text = existsSync(passwd) ? readFileSync(passwd, "utf8") : "";
  const f = text
    .split("\n")
    .map((l) => l.split(":"))
    .find((x) => x[0] === "admin" && x.length >= 7);
  if (!f) throw new Error(`${passwd} has no admin user`);
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] as string };
}
