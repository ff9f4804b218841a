import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../config/atomic-write.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/** AES-256 key length, bytes (NIST SP 800-38D with a 256-bit AES key). */
export const DEVICE_KEY_BYTES = 32;

/** Name of the systemd credential holding the key (unit: `LoadCredentialEncrypted=clawbox-device-key:…`). */
export const DEVICE_KEY_CREDENTIAL = "clawbox-device-key";

/** The key file of a data dir when no systemd credential is given: `<dataDir>/device-key` (mode 0600). */
export function deviceKeyPath(dataDir: string): string {
  return join(dataDir, "device-key");
}

/** Where the key came from (for `clawbox status` / logs; never the key itself). */
export type DeviceKeySource = "systemd-creds" | "key-file";

/**
 * The device key that seals secrets at rest (sealed-secret.ts). Order:
 * 1. `$CREDENTIALS_DIRECTORY/clawbox-device-key` — systemd decrypted it for the service from a
 *    credential bound to the host key or TPM2 (`systemd-creds encrypt`, `LoadCredentialEncrypted=`);
 *    the key is then never on disk in clear;
 * 2. `<dataDir>/device-key`, 32 random bytes created on first use with mode 0600 (a development machine,
 *    or a device without the credential); a looser mode is tightened.
 * Throws UserError `device_key` when the key is not 32 bytes or the file cannot be read/written.
 */
export function loadDeviceKey(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): { key: Buffer; source: DeviceKeySource } {
  const credDir = env.CREDENTIALS_DIRECTORY;
  const credFile = credDir ? join(credDir, DEVICE_KEY_CREDENTIAL) : null;
  if (credFile && existsSync(credFile))
    return { key: checked(readFileSync(credFile), credFile), source: "systemd-creds" };
  const file = deviceKeyPath(dataDir);
  try {
    if (existsSync(file)) {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
      return { key: checked(readFileSync(file), file), source: "key-file" };
    }
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const key = randomBytes(DEVICE_KEY_BYTES);
    writeFileAtomic(file, key, { mode: 0o600 });
    return { key, source: "key-file" };
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(
      `cannot read or create the device key ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      {
        code: ErrorCode.DEVICE_KEY,
        fix: "run as the user that runs the agent (on a device: sudo -u clawbox …)",
        cause: err,
      },
    );
  }
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
