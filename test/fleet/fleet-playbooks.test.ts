import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { testModelPath } from "../support/test-model.js";
import {
  installRelease,
  makeDevice,
  makeTestRelease,
  REPO,
  type TestDevice,
  writeInventory,
} from "./devices.js";
import { freePort, makeClientKey, startSshd } from "./sshd.js";

/**
 * fleet-config.yml, fleet-models.yml and fleet-facts.yml against one "device" (real sshd on loopback, its
 * own tree with an installed release; the agent is not running, the playbooks do not need it).
 */

let dir: string;
let inventory: string;
let device: TestDevice;
let model: string;

function play(
  playbook: string,
  vars: Record<string, unknown>,
): Promise<{ code: number | null; out: string }> {
  const varsFile = join(dir, `vars-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(varsFile, stringify(vars));
  return new Promise((resolve) => {
    const child = spawn("ansible-playbook", ["-i", inventory, playbook, "-e", `@${varsFile}`], {
      cwd: join(REPO, "ansible"),
      env: { ...process.env, ANSIBLE_NOCOLOR: "1", SSH_AUTH_SOCK: "" },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("exit", (code) => resolve({ code, out }));
  });
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-fleet-playbooks-"));
  const key = makeClientKey(join(dir, "client"));
  const knownHosts = join(dir, "known_hosts");
  model = await testModelPath();
  const sshd = await startSshd(join(dir, "sshd"), [key.publicLine]);
  writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
  device = makeDevice({
    name: "dev-1",
    prefix: join(dir, "dev-1"),
    sshd,
    httpPort: await freePort(),
    model,
    key,
    knownHostsFile: knownHosts,
  });
  installRelease(device, makeTestRelease(dir, "1.0.0-playbooks"), "1.0.0-playbooks");
  inventory = join(dir, "inventory.yml");
  writeInventory(inventory, [device], { clawbox_models_owner: "root" });
}, 120_000);

afterAll(async () => {
  await device?.sshd.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("fleet-config.yml", () => {
  const configFile = () => join(device.configDir, "config.yaml");

  it("merges a valid fragment, keeping the other keys", async () => {
    const r = await play("fleet-config.yml", {
      clawbox_config_fragment: { log: { level: "debug" }, inference: { maxQueue: 7 } },
      clawbox_config_restart: false,
    });
    expect(r.code, r.out).toBe(0);
    const config = parse(readFileSync(configFile(), "utf8")) as Record<string, Record<string, unknown>>;
    expect(config.log?.level).toBe("debug");
    expect(config.inference?.maxQueue).toBe(7);
    expect(config.inference?.threads).toBe(1); // kept from before
    expect(config.server?.port).toBe(device.httpPort);
    expect(config.dataDir).toBe(device.dataDir);
    expect(existsSync(`${configFile()}.candidate`)).toBe(false);
  }, 120_000);

  it("refuses an invalid result with the validator's message and changes nothing", async () => {
    const before = readFileSync(configFile(), "utf8");
    const r = await play("fleet-config.yml", { clawbox_config_fragment: { server: { port: "eighty" } } });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("the merged configuration is invalid, nothing was changed");
    expect(r.out).toMatch(/server\.port/);
    expect(readFileSync(configFile(), "utf8")).toBe(before);
    expect(existsSync(`${configFile()}.candidate`)).toBe(false);
  }, 120_000);
});

describe("fleet-models.yml", () => {
  const modelsDir = () => join(device.dataDir, "models");

  it("pre-seeds a model from the control node, verified by SHA-256, and leaves it alone the second time", async () => {
    const entry = { name: basename(model), sha256: sha256(model), src: model };
    const r = await play("fleet-models.yml", { clawbox_models: [entry] });
    expect(r.code, r.out).toBe(0);
    expect(sha256(join(modelsDir(), basename(model)))).toBe(entry.sha256);
    const again = await play("fleet-models.yml", { clawbox_models: [entry] });
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/dev-1\s*:\s*ok=\d+\s+changed=0/);
  }, 120_000);

  it("deletes a transfer whose hash is wrong and fails the host", async () => {
    const r = await play("fleet-models.yml", {
      clawbox_models: [{ name: "wrong.gguf", sha256: "0".repeat(64), src: model }],
    });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("expected 0000");
    expect(readdirSync(modelsDir()).filter((f) => f.startsWith("wrong"))).toEqual([]);
  }, 120_000);
});

describe("fleet-facts.yml", () => {
  it("saves each device's HardwareReport and status on the control node", async () => {
    const out = join(dir, "facts");
    const r = await play("fleet-facts.yml", { clawbox_facts_dir: out });
    expect(r.code, r.out).toBe(0);
    const hardware = JSON.parse(readFileSync(join(out, "dev-1", "hardware.json"), "utf8")) as Record<
      string,
      unknown
    >;
    const status = JSON.parse(readFileSync(join(out, "dev-1", "status.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(Object.keys(hardware).length).toBeGreaterThan(2);
    expect(status.version).toBe("1.0.0-playbooks");
    expect(status.health).toBe("down");
  }, 120_000);
});

describe("fleet-backup.yml", () => {
  it("fails with how to make one when a device has no backup, then fetches the newest one", async () => {
    const out = join(dir, "backups");
    const none = await play("fleet-backup.yml", { clawbox_backup_dest: out });
    expect(none.code).not.toBe(0);
    expect(none.out).toContain("clawbox backup passphrase");

    // the owner's passphrase, stored on the device (what the dashboard or `clawbox backup passphrase` does)
    writeFileSync(join(device.dataDir, "backup-passphrase"), "correct horse battery staple", { mode: 0o600 });
    for (let i = 0; i < 2; i++) {
      const r = await play("fleet-backup.yml", { clawbox_backup_dest: out, clawbox_backup_create: true });
      expect(r.code, r.out).toBe(0);
    }
    const onDevice = readdirSync(join(device.dataDir, "backups"))
      .filter((n) => n.endsWith(".cbx"))
      .sort();
    expect(onDevice).toHaveLength(2);
    const newest = onDevice.at(-1) as string;
    const fetched = readdirSync(join(out, "dev-1"));
    expect(fetched).toContain(newest);
    expect(sha256(join(out, "dev-1", newest))).toBe(sha256(join(device.dataDir, "backups", newest)));
    expect(
      readFileSync(join(out, "dev-1", newest))
        .subarray(0, 8)
        .toString(),
    ).toBe("CLAWBOXB");
  }, 180_000);
});
