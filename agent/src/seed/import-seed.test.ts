import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "../paths.js";
import { BEGIN_SEED_KEYS } from "./early-boot-system-actions.js";
import { importSeed } from "./import-seed.js";
import { seedConnectionFile } from "./nm-keyfile.js";
import { MOVED } from "./scrub-seed.js";
import { type SeedPaths, seedPaths } from "./seed-paths.js";

// Imports real seed files into a temporary root folder laid out like the device (/etc, /home/admin,
// /var/lib/clawbox, the host's real /usr/share/zoneinfo linked in) and reads back the files written.

const EXAMPLE = join(REPO_ROOT, "provisioning", "clawbox.example.yaml");
const IMAGE_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPq0rJ3w3xq8fQm9Xk1sT2c4d5e6f7g8h9i0j1k2l3m4 image-key";

let root: string;
let paths: SeedPaths;
let boot: string;

/** Every file below `dir` → content (or symlink target), mode, inode and mtime: equal snapshots = nothing touched. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (p === join(root, "usr")) continue;
      const st = lstatSync(p);
      if (e.isDirectory()) walk(p);
      else
        out[relative(dir, p)] =
          `${st.mode.toString(8)} ${st.ino} ${st.mtimeMs} ${e.isSymbolicLink() ? readlinkSync(p) : readFileSync(p, "utf8")}`;
    }
  };
  walk(dir);
  return out;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "clawbox-seed-"));
  paths = seedPaths(root);
  for (const d of [
    "etc/clawbox",
    "etc/NetworkManager/system-connections",
    "home/admin/.ssh",
    "var/lib/clawbox",
    "usr/share",
  ])
    mkdirSync(join(root, d), { recursive: true });
  symlinkSync("/usr/share/zoneinfo", paths.zoneinfo);
  writeFileSync(paths.passwd, "root:x:0:0:root:/root:/bin/bash\nadmin:x:1000:1000::/home/admin:/bin/bash\n");
  writeFileSync(paths.hostname, "clawbox-ab12\n");
  writeFileSync(paths.hosts, "127.0.0.1\tlocalhost\n127.0.1.1\tclawbox-ab12\n");
  writeFileSync(join(root, "home/admin/.ssh/authorized_keys"), `${IMAGE_KEY}\n`, { mode: 0o600 });
  writeFileSync(paths.config, "# the image's config\nserver:\n  port: 8080\n", { mode: 0o600 });
  boot = join(root, "boot", "efi");
  mkdirSync(boot, { recursive: true });
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const seedAt = (text: string) => {
  const file = join(boot, "clawbox.yaml");
  writeFileSync(file, text);
  return file;
};

describe("importSeed", () => {
  it("applies the documented example seed to the device files and retires the scrubbed seed", async () => {
    const example = readFileSync(EXAMPLE, "utf8");
    const seed = parse(example);
    const file = seedAt(example);
    const result = await importSeed(file, paths);

    expect(readFileSync(paths.hostname, "utf8")).toBe("clawbox-kitchen\n");
    expect(readFileSync(paths.hosts, "utf8")).toBe("127.0.0.1\tlocalhost\n127.0.1.1\tclawbox-kitchen\n");
    expect(readlinkSync(paths.localtime)).toBe("/usr/share/zoneinfo/Europe/Berlin");
    expect(readFileSync(paths.timezone, "utf8")).toBe("Europe/Berlin\n");
    expect(readFileSync(paths.wifiCountry, "utf8")).toMatch(/^options cfg80211 ieee80211_regdom=DE$/m);

    const keyfile = join(paths.nmConnections, seedConnectionFile("Home Network"));
    expect(statSync(keyfile).mode & 0o777).toBe(0o600);
    const nm = readFileSync(keyfile, "utf8");
    expect(nm).toMatch(/^ssid=Home Network$/m);
    expect(nm).toMatch(/^key-mgmt=wpa-psk$/m);
    expect(nm).toContain(`psk=${seed.wifi[0].psk}`);

    const keys = readFileSync(join(root, "home/admin/.ssh/authorized_keys"), "utf8");
    expect(keys.split("\n")[0]).toBe(IMAGE_KEY);
    expect(keys).toContain(`${BEGIN_SEED_KEYS}\n${seed.ssh.authorizedKeys[0]}\n`);

    expect(statSync(paths.seedAdmin).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(paths.seedAdmin, "utf8"))).toEqual(seed.admin);
    // model: recommended leaves the config to the agent's own pick.
    expect(readFileSync(paths.config, "utf8")).toBe("# the image's config\nserver:\n  port: 8080\n");

    expect(existsSync(file)).toBe(false);
    expect(result.appliedFile).toBe(`${file}.applied`);
    const applied = readFileSync(result.appliedFile, "utf8");
    expect(applied).not.toContain(seed.wifi[0].psk);
    expect(applied).not.toContain(seed.admin.passwordHash);
    expect(parse(applied).wifi[0].psk).toBe(MOVED);
    expect(parse(applied).hostname).toBe("clawbox-kitchen");
    expect(result.changes).toEqual([
      "hostname clawbox-kitchen",
      "time zone Europe/Berlin",
      "Wi-Fi country DE",
      "Wi-Fi network Home Network",
      "1 SSH key(s) for admin",
      "admin account owner",
    ]);
  });

  it("changes nothing when the same seed is imported again", async () => {
    const example = readFileSync(EXAMPLE, "utf8");
    await importSeed(seedAt(example), paths);
    rmSync(join(boot, "clawbox.yaml.applied"));
    const before = snapshot(root);
    const again = await importSeed(seedAt(example), paths);
    expect(again.changes).toEqual([]);
    rmSync(join(boot, "clawbox.yaml.applied"));
    expect(snapshot(root)).toEqual(before);
  });

  it("writes the model and bridges into config.yaml (0600) and scrubs the bridge token", async () => {
    const token = "123456:ABCdefGhIJKlmNoPQRsTUVwxyZ0123456789";
    // The model is on the card already (the store lists it by its catalogue file name).
    mkdirSync(join(paths.dataDir, "models"));
    writeFileSync(join(paths.dataDir, "models", "SmolLM2-135M-Instruct.Q2_K.gguf"), "GGUF");
    const file = seedAt(
      `version: 1\nmodel: smollm2-135m-instruct\nbridges:\n  telegram:\n    token: "${token}"\n`,
    );
    const result = await importSeed(file, paths);
    expect(statSync(paths.config).mode & 0o777).toBe(0o600);
    const config = parse(readFileSync(paths.config, "utf8"));
    expect(config.model).toBe("smollm2-135m-instruct");
    expect(config.bridges.telegram).toMatchObject({ type: "telegram", token });
    expect(config.server.port).toBe(8080);
    expect(readFileSync(paths.config, "utf8")).toContain("# the image's config");
    expect(result.changes).toEqual(["model smollm2-135m-instruct, bridge telegram"]);
    expect(readFileSync(result.appliedFile, "utf8")).not.toContain(token);
  });

  it.each([
    [
      "a too-short Wi-Fi passphrase",
      "wifi:\n  - ssid: Home\n    psk: short\n    country: DE\n",
      /:4: wifi\.0\.psk must be 8-63/,
    ],
    [
      "an unknown time zone",
      "timezone: Mars/Olympus\n",
      /:2: timezone "Mars\/Olympus" is not a known time zone/,
    ],
    [
      "two Wi-Fi countries",
      "wifi:\n  - ssid: A\n    country: DE\n  - ssid: B\n    country: FR\n",
      /:6: wifi\.1\.country is FR but an earlier network says DE/,
    ],
    [
      "a model not in the catalogue",
      "model: no-such-model\n",
      /:2: model "no-such-model" is not in the model catalogue/,
    ],
    [
      "a model that is not in the store",
      "model: smollm2-360m-instruct\n",
      /:2: model "smollm2-360m-instruct" is not downloaded on this device/,
    ],
    [
      "a bridge missing its token",
      "bridges:\n  telegram:\n    enabled: true\n",
      /:3: bridges\.telegram is not a valid agent setting/,
    ],
    ["a YAML syntax error", "hostname: [unclosed\n", /YAML syntax error/],
  ])("rejects %s with file, line and key, and applies nothing", async (_what, body, message) => {
    const file = seedAt(`version: 1\n${body}`);
    const before = snapshot(root);
    await expect(importSeed(file, paths)).rejects.toThrow(message);
    expect(snapshot(root)).toEqual(before);
    expect(existsSync(file)).toBe(true);
  });
});
