import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  scryptSync,
  timingSafeEqual,
} from "node:crypto";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/**
 * Encrypted backup file format, version 1 (all integers unsigned, big-endian):
 *
 *   offset  bytes  field
 *   0       8      magic "CLAWBOXB"
 *   8       1      format version (1)
 *   9       1      scrypt cost log2(N)
 *   10      1      scrypt block size r
 *   11      1      scrypt parallelism p
 *   12      16     scrypt salt (random per file)
 *   28      12     AES-GCM nonce (random per file)
 *   40      16     passphrase check: HMAC-SHA256(check key, "clawbox backup v1"), first 16 bytes
 *   56      …      AES-256-GCM ciphertext of the payload (a gzip'd tar, backup-archive.ts)
 *   end−16  16     GCM authentication tag
 *
 * scrypt(passphrase, salt, 64 bytes) gives the AES key (first 32) and the check key (last 32). The whole
 * header is GCM additional data, so no byte of the file can change unnoticed. The check value tells a
 * wrong passphrase (check differs) from a damaged file (check matches, tag does not).
 */
const MAGIC = Buffer.from("CLAWBOXB", "ascii");
const VERSION = 1;
const HEADER_BYTES = 56;
const TAG_BYTES = 16;
const CHECK_LABEL = "clawbox backup v1";

/**
 * scrypt cost: N = 2^17, r = 8, p = 1 (OWASP Password Storage Cheat Sheet's scrypt minimum; 128 MiB of
 * memory; measured 1.4–2.7 s per derivation on the 2-core dev VM at load average 11–16, once per backup
 * and once per restore). Stored per file, so it can be raised later.
 */
const SCRYPT = { logN: 17, r: 8, p: 1 };

/** Shortest passphrase accepted for a new backup, characters (the archive may leave the device). */
export const MIN_PASSPHRASE_LENGTH = 12;

/** Throws UserError (`backup_passphrase`) when `passphrase` is too short to protect a backup. */
export function checkPassphrase(passphrase: string): void {
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw new UserError(`the backup passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`, {
      code: ErrorCode.BACKUP_PASSPHRASE,
      fix: "choose a longer passphrase (a few words are easy to remember) and keep it somewhere safe",
    });
  }
}

function deriveKeys(passphrase: string, salt: Buffer, logN: number, r: number, p: number) {
  const N = 2 ** logN;
  const out = scryptSync(passphrase.normalize("NFC"), salt, 64, {
    N,
    r,
    p,
    maxmem: 256 * N * r + 1024 * 1024,
  });
  const check = createHmac("sha256", out.subarray(32)).update(CHECK_LABEL).digest().subarray(0, 16);
  return { key: out.subarray(0, 32), check };
}

/**
 * Encrypts `payload` with `passphrase` into the format above. Throws UserError for a short passphrase
 * (checkPassphrase).
 */
export function encryptBackup(payload: Buffer, passphrase: string): Buffer {
  checkPassphrase(passphrase);
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const { key, check } = deriveKeys(passphrase, salt, SCRYPT.logN, SCRYPT.r, SCRYPT.p);
  const header = Buffer.concat([
    MAGIC,
    Buffer.from([VERSION, SCRYPT.logN, SCRYPT.r, SCRYPT.p]),
    salt,
    nonce,
    check,
  ]);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(payload), cipher.final()]);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

/**
 * Decrypts and authenticates a backup. Throws UserError:
 * - `backup_format`: not a clawbox backup, or a newer format version;
 * - `backup_passphrase`: the passphrase does not match;
 * - `backup_damaged`: the passphrase matches but the content was changed or cut short.
 * Nothing is returned unless every byte checked out.
 */
export function decryptBackup(file: Buffer, passphrase: string): Buffer {
  if (file.length < HEADER_BYTES + TAG_BYTES || !file.subarray(0, 8).equals(MAGIC)) {
    throw new UserError("this file is not a clawbox backup", {
      code: ErrorCode.BACKUP_FORMAT,
      fix: "choose a .cbx file made by `clawbox backup create` or the dashboard",
    });
  }
  const version = file[8] as number;
  if (version !== VERSION) {
    throw new UserError(`this backup has format version ${version}; this agent reads version ${VERSION}`, {
      code: ErrorCode.BACKUP_FORMAT,
      fix: "restore it with the agent release that made it, or a newer one",
    });
  }
  const [logN, r, p] = [file[9] as number, file[10] as number, file[11] as number];
  if (logN < 10 || logN > 22 || r < 1 || r > 32 || p < 1 || p > 16) throw damaged();
  const header = file.subarray(0, HEADER_BYTES);
  const { key, check } = deriveKeys(passphrase, file.subarray(12, 28), logN, r, p);
  if (!timingSafeEqual(check, file.subarray(40, 56))) {
    throw new UserError("the passphrase does not match this backup", {
      code: ErrorCode.BACKUP_PASSPHRASE,
      fix: "type the passphrase that was set when the backup was made (nothing was changed)",
    });
  }
  const decipher = createDecipheriv("aes-256-gcm", key, file.subarray(28, 40));
  decipher.setAAD(header);
  decipher.setAuthTag(file.subarray(file.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(file.subarray(HEADER_BYTES, file.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw damaged();
  }
}

function damaged(): UserError {
  return new UserError("this backup is damaged (its content does not match its authentication tag)", {
    code: ErrorCode.BACKUP_DAMAGED,
    fix: "use another copy of the backup (nothing was changed)",
  });
}
