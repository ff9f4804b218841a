import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyUnpackedBackup, createBackup, unpackBackup } from "../backup/backup-archive.js";
import { rotateApiToken, tokenPath } from "../server/api-token.js";
import { openDatabase } from "../store/database.js";
import { DEVICE_KEY_CREDENTIAL, dataKeyPath, deviceKeyPath, loadDeviceKey } from "./device-key.js";
import { isSealed, seal, unseal } from "./sealed-secret.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "clawbox-device-key-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A folder as systemd passes credentials to a service ($CREDENTIALS_DIRECTORY), holding `credential`. */
function credentialsDir(name: string, credential: Buffer): NodeJS.ProcessEnv {
  const dir = join(root, name);
  execFileSync("mkdir", ["-p", dir]);
  writeFileSync(join(dir, DEVICE_KEY_CREDENTIAL), credential, { mode: 0o400 });
  return { CREDENTIALS_DIRECTORY: dir };
}

/** Runs `fn` with process.env's CREDENTIALS_DIRECTORY from `env` (code that reads the key from process.env). */
async function withProcessEnv<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.CREDENTIALS_DIRECTORY;
  process.env.CREDENTIALS_DIRECTORY = env.CREDENTIALS_DIRECTORY;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.CREDENTIALS_DIRECTORY;
    else process.env.CREDENTIALS_DIRECTORY = saved;
  }
}

/** An encrypted backup of `dataDir` into `<dataDir>/backups`, made with the credential in `env`. */
async function backupWith(env: NodeJS.ProcessEnv, dataDir: string) {
  const db = openDatabase(dataDir);
  try {
    return await withProcessEnv(env, () =>
      createBackup({
        db,
        dataDir,
        configFile: null,
        passphrase: "correct horse battery",
        dir: join(dataDir, "backups"),
        keep: 1,
      }),
    );
  } finally {
    db.close();
  }
}

describe("device key with the systemd credential (envelope)", () => {
  it("wraps a fresh data key with the credential: nothing in the data dir opens without it", () => {
    const data = join(root, "data");
    const env = credentialsDir("creds", Buffer.alloc(32, 7));
    const first = loadDeviceKey(data, env, join(root, "absent.cred"));
    expect(first.source).toBe("systemd-creds");
    expect(first.key.length).toBe(32);
    expect(first.key.equals(Buffer.alloc(32, 7))).toBe(false); // the data key, not the credential
    expect(existsSync(deviceKeyPath(data))).toBe(false);
    const wrapped = readFileSync(dataKeyPath(data), "utf8");
    expect(isSealed(wrapped)).toBe(true);
    expect(wrapped).not.toContain(first.key.toString("base64"));
    expect(statSync(dataKeyPath(data)).mode & 0o777).toBe(0o600);
    expect(loadDeviceKey(data, env).key.equals(first.key)).toBe(true);

    const other = credentialsDir("other", Buffer.alloc(32, 9));
    expect(() => loadDeviceKey(data, other)).toThrow(/does not open with this device's credential/);
    expect(readFileSync(dataKeyPath(data), "utf8")).toBe(wrapped); // refused, not replaced
    // a user who cannot reach the credential (not root on a device) gets no second key beside it
    expect(() => loadDeviceKey(data, {}, join(root, "absent.cred"))).toThrow(/only root can decrypt/);
    expect(existsSync(deviceKeyPath(data))).toBe(false);
  });

  it("adopts an older release's key file as the data key, so its sealed secrets still open", () => {
    const data = join(root, "data");
    const legacy = loadDeviceKey(data, {});
    expect(legacy.source).toBe("key-file");
    const token = seal(legacy.key, "api-token-value", "api-token");
    const env = credentialsDir("creds", Buffer.alloc(32, 3));
    const migrated = loadDeviceKey(data, env);
    expect(migrated.source).toBe("systemd-creds");
    expect(unseal(migrated.key, token, "api-token")).toBe("api-token-value");
    expect(existsSync(deviceKeyPath(data))).toBe(false);
    expect(loadDeviceKey(data, env).key.equals(legacy.key)).toBe(true);
  });

  it.runIf(process.getuid?.() === 0)(
    "gives files root writes to the data dir's owner (the agent's user)",
    async () => {
      const data = join(root, "data");
      execFileSync("mkdir", ["-p", data]);
      chownSync(data, 4242, 4243);
      const env = credentialsDir("creds", Buffer.alloc(32, 4));
      loadDeviceKey(data, env);
      expect([statSync(dataKeyPath(data)).uid, statSync(dataKeyPath(data)).gid]).toEqual([4242, 4243]);
      await withProcessEnv(env, async () => rotateApiToken(data)); // `sudo clawbox token --rotate`
      expect(statSync(tokenPath(data)).uid).toBe(4242);
      // a fleet playbook's `backup create` before the agent made any backup
      const made = await backupWith(env, data);
      expect([statSync(join(data, "backups")).uid, statSync(made.path).uid]).toEqual([4242, 4242]);
    },
  );

  it("refuses a credential that is not 32 bytes", () => {
    const env = credentialsDir("creds", Buffer.from("short"));
    expect(() => loadDeviceKey(join(root, "data"), env)).toThrow(/5 bytes, not 32/);
  });

  it("carries the data key in a backup, which restores on a device with another credential", async () => {
    const a = join(root, "a");
    const b = join(root, "b");
    const envA = credentialsDir("creds-a", Buffer.alloc(32, 1));
    const envB = credentialsDir("creds-b", Buffer.alloc(32, 2));
    const keyA = loadDeviceKey(a, envA).key;
    const sealed = seal(keyA, "bridge-token", "bridges.home.token");
    const made = await backupWith(envA, a);
    const unpacked = unpackBackup(readFileSync(made.path), "correct horse battery", b);
    expect(Object.keys(unpacked.manifest.files)).toContain("data/device-key");
    expect(Object.keys(unpacked.manifest.files)).not.toContain("data/data-key");
    applyUnpackedBackup(unpacked, b, null);
    const keyB = loadDeviceKey(b, envB);
    expect(keyB.key.equals(keyA)).toBe(true);
    expect(unseal(keyB.key, sealed, "bridges.home.token")).toBe("bridge-token");
    expect(existsSync(deviceKeyPath(b))).toBe(false); // wrapped with B's credential at once
    expect(() => loadDeviceKey(b, envA)).toThrow(/does not open/);
  });
});

describe("device key from the credential store (real systemd-creds)", () => {
  // systemd-creds reads its host key from $SYSTEMD_CREDENTIAL_SECRET when set (systemd's creds-util), so the
  // test makes its own instead of the machine's /var/lib/systemd/credential.secret.
  const systemdCreds = (() => {
    try {
      execFileSync("systemd-creds", ["--version"], { stdio: "ignore" });
      return process.getuid?.() === 0;
    } catch {
      return false;
    }
  })();
  if (!systemdCreds) console.log("skipped: needs systemd-creds and root (.ci/run has both)");

  it.runIf(systemdCreds)("decrypts the credential as root, as the CLI does outside the service", () => {
    const hostKey = { SYSTEMD_CREDENTIAL_SECRET: join(root, "credential.secret") };
    const store = join(root, "credstore.encrypted");
    const credential = Buffer.alloc(32, 5);
    execFileSync(
      "systemd-creds",
      ["encrypt", "--with-key=host", `--name=${DEVICE_KEY_CREDENTIAL}`, "-", store],
      { input: credential, env: { ...process.env, ...hostKey }, stdio: ["pipe", "ignore", "ignore"] },
    );
    expect(readFileSync(store).includes(credential)).toBe(false);
    const data = join(root, "data");
    const viaStore = loadDeviceKey(data, hostKey, store);
    expect(viaStore.source).toBe("systemd-creds");
    // the same data key the service opens with the credential systemd decrypted for it
    expect(loadDeviceKey(data, credentialsDir("creds", credential)).key.equals(viaStore.key)).toBe(true);

    const otherHost = { SYSTEMD_CREDENTIAL_SECRET: join(root, "other.secret") };
    execFileSync("systemd-creds", ["setup"], { env: { ...process.env, ...otherHost }, stdio: "ignore" });
    expect(() => loadDeviceKey(data, otherHost, store)).toThrow(
      /systemd-creds cannot decrypt the device key/,
    );
  });
});
