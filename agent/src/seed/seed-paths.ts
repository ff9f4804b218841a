import { join, resolve } from "node:path";

/**
 * Where a seed import reads and writes, all below one root prefix ("/" on a device; a temp dir in tests,
 * so the real files are written there instead). Paths follow provisioning/README.md's table.
 */
export interface SeedPaths {
  /** The root prefix every other path is under. */
  root: string;
  /** `/etc/hostname` (one line: the static host name). */
  hostname: string;
  /** `/etc/hosts` (the 127.0.1.1 line names this host, as Debian's installer writes it). */
  hosts: string;
  /** `/etc/localtime` (symlink into the zoneinfo folder). */
  localtime: string;
  /** `/etc/timezone` (Debian's plain-text copy of the zone name). */
  timezone: string;
  /** `/etc/passwd` (the administration account `admin`, whose SSH keys a seed sets). */
  passwd: string;
  /** `/usr/share/zoneinfo` (the tzdata package). */
  zoneinfo: string;
  /** `/etc/NetworkManager/system-connections` (keyfiles, 0600 root). */
  nmConnections: string;
  /** `/etc/modprobe.d/clawbox-wifi-country.conf` (cfg80211 regulatory domain, read when the module loads). */
  wifiCountry: string;
  /** `/etc/clawbox` (agent config, seed admin account, seed error). */
  confDir: string;
  /** `/etc/clawbox/config.yaml`. */
  config: string;
  /** `/etc/clawbox/seed-admin.json` (0600, owner of confDir). */
  seedAdmin: string;
  /** `/var/lib/clawbox` (the agent's data dir). */
  dataDir: string;
}

/** The seed error report the console and the setup API show: `/etc/clawbox/seed-error`. */
export const SEED_ERROR_FILE = "/etc/clawbox/seed-error";

/** The admin account a seed created: `/etc/clawbox/seed-admin.json`. */
export const SEED_ADMIN_FILE = "/etc/clawbox/seed-admin.json";

/** SeedPaths for a root prefix (default "/", the device itself). */
export function seedPaths(root = "/"): SeedPaths {
  const r = resolve(root);
  const at = (...p: string[]) => join(r, ...p);
  return {
    root: r,
    hostname: at("etc", "hostname"),
    hosts: at("etc", "hosts"),
    localtime: at("etc", "localtime"),
    timezone: at("etc", "timezone"),
    passwd: at("etc", "passwd"),
    zoneinfo: at("usr", "share", "zoneinfo"),
    nmConnections: at("etc", "NetworkManager", "system-connections"),
    wifiCountry: at("etc", "modprobe.d", "clawbox-wifi-country.conf"),
    confDir: at("etc", "clawbox"),
    config: at("etc", "clawbox", "config.yaml"),
    seedAdmin: at("etc", "clawbox", "seed-admin.json"),
    dataDir: at("var", "lib", "clawbox"),
  };
}
