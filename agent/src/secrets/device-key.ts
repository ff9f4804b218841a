import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeOwnFileAtomic } from "../config/atomic-write.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { seal, unseal } from "./sealed-secret.js";

/** AES-256 key length, bytes (NIST SP 800-38D with a 256-bit AES key). */
export const DEVICE_KEY_BYTES = 32;

/** Name of the systemd credential holding the device's key-encryption key. */
export const DEVICE_KEY_CREDENTIAL = "clawbox-device-key";

/**
 * Where the image keeps that credential, encrypted by `systemd-creds encrypt --with-key=auto` (TPM2 and the
 * host key /var/lib/systemd/credential.secret, or the host key alone): first boot writes it
 * (image/libexec/firstboot) and the agent unit loads it (`LoadCredentialEncrypted=`). systemd's own
 * credential store folder (systemd.exec(5), "Credentials").
 */
export const DEVICE_KEY_CREDSTORE = `/etc/credstore.encrypted/${DEVICE_KEY_CREDENTIAL}`;

/**
 * The key that seals secrets, in clear: `<dataDir>/device-key` (32 bytes, mode 0600). Used as it is where
 * there is no credential (a development machine); where there is one it exists only between a restore or an
 * upgrade and the next load, which wraps it into data-key and deletes it.
 */
export function deviceKeyPath(dataDir: string): string {
  return join(dataDir, "device-key");
}

/** The same key wrapped by the credential: `<dataDir>/data-key`, one `enc.v1.` value (sealed-secret.ts). */
export function dataKeyPath(dataDir: string): string {
  return join(dataDir, "data-key");
}

/** Authenticated context of the wrapped data key (sealed-secret.ts `context`). */
const DATA_KEY_CONTEXT = "data-key";

/** Where the key came from (for `clawbox status` / logs; never the key itself). */
export type DeviceKeySource = "systemd-creds" | "key-file";

/**
 * The 32-byte key that seals this device's secrets (sealed-secret.ts), envelope-style:
 * - With the systemd credential (a device): the credential is the key-encryption key and never leaves the
 *   device; the data key it wraps is `<dataDir>/data-key`. The credential comes from
 *   `$CREDENTIALS_DIRECTORY/clawbox-device-key` (the agent's service, decrypted by systemd) or, for the CLI
 *   run by root outside the service, from `systemd-creds decrypt` of `credstoreFile`. A plain
 *   `<dataDir>/device-key` found then (an older release's, or one a backup restored) becomes the data key: it
 *   is wrapped and deleted. No data key yet: 32 random bytes (node:crypto randomBytes). So backups carry the
 *   data key (backup-archive.ts) and restore on any device, and nothing in the data dir opens without the
 *   credential.
 * - Without it: `<dataDir>/device-key` is the key, created on first use with mode 0600; a looser mode is
 *   tightened. A data dir with a data-key but no credential in reach (a user other than root on a device)
 *   is refused rather than given a second key.
 * Files written as root get the data dir's owner, so the agent's user can read them.
 * Throws UserError `device_key` when a key is not 32 bytes, the credential cannot be decrypted (not root, or
 * another device's), the data key does not open with it, or a file cannot be read/written.
 */
export function loadDeviceKey(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
  credstoreFile: string = DEVICE_KEY_CREDSTORE,
): { key: Buffer; source: DeviceKeySource } {
  const kek = credentialKey(env, credstoreFile);
  const plain = deviceKeyPath(dataDir);
  try {
    if (kek) return { key: wrappedDataKey(dataDir, kek), source: "systemd-creds" };
    if (existsSync(dataKeyPath(dataDir))) {
      // Never a second key beside the wrapped one (the agent would adopt it and lose the sealed secrets).
      throw new UserError(
        `the data key ${dataKeyPath(dataDir)} is wrapped by this device's systemd credential, which only root can decrypt`,
        { code: ErrorCode.DEVICE_KEY, fix: "run the command with sudo" },
      );
    }
    if (existsSync(plain)) {
      if ((statSync(plain).mode & 0o077) !== 0) chmodSync(plain, 0o600);
      return { key: checked(readFileSync(plain), plain), source: "key-file" };
    }
    const key = createOnce(dataDir, plain, randomBytes(DEVICE_KEY_BYTES), (k) => k);
    return { key: checked(key, plain), source: "key-file" };
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(
      `cannot read or write the device key in ${dataDir}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      {
        code: ErrorCode.DEVICE_KEY,
        fix: "run as root or as the user that runs the agent (on a device: sudo …)",
        cause: err,
      },
    );
  }
}

/** The credential's 32 bytes, or null when this machine has none. */
function credentialKey(env: NodeJS.ProcessEnv, credstoreFile: string): Buffer | null {
  const fromService = env.CREDENTIALS_DIRECTORY
    ? join(env.CREDENTIALS_DIRECTORY, DEVICE_KEY_CREDENTIAL)
    : null;
  if (fromService && existsSync(fromService)) return checked(readFileSync(fromService), fromService);
  if (!existsSync(credstoreFile)) return null;
  if (process.getuid?.() !== 0) {
    throw new UserError(
      `the device key is a systemd credential (${credstoreFile}) that only root can decrypt`,
      {
        code: ErrorCode.DEVICE_KEY,
        fix: "run the command with sudo",
      },
    );
  }
  try {
    const out = execFileSync(
      "systemd-creds",
      ["decrypt", `--name=${DEVICE_KEY_CREDENTIAL}`, credstoreFile, "-"],
      {
        env: { PATH: process.env.PATH, ...env },
        stdio: ["ignore", "pipe", "pipe"],
        maxBuffer: 1024,
      },
    );
    return checked(out, credstoreFile);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const said = String((err as { stderr?: Buffer }).stderr ?? "")
      .trim()
      .split("\n")
      .pop();
    throw new UserError(
      `systemd-creds cannot decrypt the device key ${credstoreFile}: ${said || (err as Error).message}`,
      {
        code: ErrorCode.DEVICE_KEY,
        fix: "it was made on another device or its host key (/var/lib/systemd/credential.secret) or TPM changed: restore this device from a backup",
        cause: err,
      },
    );
  }
}

function wrappedDataKey(dataDir: string, kek: Buffer): Buffer {
  const plain = deviceKeyPath(dataDir);
  const wrapped = dataKeyPath(dataDir);
  if (existsSync(plain)) {
    const key = checked(readFileSync(plain), plain);
    writeOwned(dataDir, wrapped, seal(kek, key.toString("base64"), DATA_KEY_CONTEXT));
    rmSync(plain, { force: true }); // a second process wrapping the same key may have removed it
    return key;
  }
  if (!existsSync(wrapped)) {
    createOnce(dataDir, wrapped, randomBytes(DEVICE_KEY_BYTES), (k) =>
      Buffer.from(seal(kek, k.toString("base64"), DATA_KEY_CONTEXT)),
    );
  }
  let opened: string;
  try {
    opened = unseal(kek, readFileSync(wrapped, "utf8").trim(), DATA_KEY_CONTEXT);
  } catch (err) {
    throw new UserError(`the data key ${wrapped} does not open with this device's credential`, {
      code: ErrorCode.DEVICE_KEY,
      fix: "the data dir comes from another device or the credential was replaced: restore from a backup (sealed secrets are otherwise lost; enter them again)",
      cause: err,
    });
  }
  return checked(Buffer.from(opened, "base64"), wrapped);
}

/**
 * Creates `file` with `encode(key)` unless another process (the agent and a root CLI starting together)
 * created it first, so a device never ends up with two keys: written complete under a temporary name, then
 * hard-linked into place (link(2) fails with EEXIST when the name exists). Returns the file's content.
 */
function createOnce(dataDir: string, file: string, key: Buffer, encode: (key: Buffer) => Buffer): Buffer {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.new`);
  writeOwned(dataDir, tmp, encode(key));
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  return readFileSync(file);
}

/** Writes a 0600 file in the data dir (created 0700 if missing); as root, owned like the data dir. */
function writeOwned(dataDir: string, file: string, data: string | Buffer): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeOwnFileAtomic(file, data);
}

function checked(key: Buffer, where: string): Buffer {
  if (key.length !== DEVICE_KEY_BYTES) {
    throw new UserError(`the device key ${where} has ${key.length} bytes, not ${DEVICE_KEY_BYTES}`, {
      code: ErrorCode.DEVICE_KEY,
      fix: "restore the device key from a backup; without it sealed secrets cannot be read (enter them again)",
    });
  }
  return key;
}
