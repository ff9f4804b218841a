import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import BetterSqlite3, { type Database } from "better-sqlite3";
import * as tar from "tar";
import { writeOwnFileAtomic } from "../config/atomic-write.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { dataKeyPath, loadDeviceKey } from "../secrets/device-key.js";
import { databasePath } from "../store/database.js";
import { MIGRATIONS } from "../store/migrations.js";
import { VERSION } from "../version.js";
import { decryptBackup, encryptBackup } from "./backup-crypto.js";

/** `manifest.json` inside every backup: what it holds, with a SHA-256 per file. */
export interface BackupManifest {
  format: 1;
  createdAt: string;
  agentVersion: string;
  hostname: string;
  /** Newest applied schema migration of the database snapshot. */
  schemaVersion: number;
  /** Archive paths (`data/<name>`, `config/config.yaml`) → size and SHA-256 (hex). */
  files: Record<string, { bytes: number; sha256: string }>;
}

/**
 * Data-dir entries never put in a backup: the live database files (the snapshot replaces them), what
 * belongs to one running process or one boot (agent-url, setup-code), the request log of "record" system
 * actions, and the backup passphrase itself. Folders (models, backups, logs) are never included.
 */
const EXCLUDED = new Set([
  "clawbox.db",
  "clawbox.db-wal",
  "clawbox.db-shm",
  "clawbox.db-journal",
  "agent-url",
  "setup-code",
  "system-requests.jsonl",
  "backup-passphrase",
  // The key that opens the sealed secrets goes in as data/device-key, in clear inside the encrypted archive
  // (loadDeviceKey unwraps data-key, which only this device's credential opens).
  "device-key",
  "data-key",
]);
/** Largest extra data-dir file taken along, bytes: secrets and small state, never a model or a dump. */
const MAX_EXTRA_FILE_BYTES = 1024 * 1024;
/** Archive entry names accepted on restore; anything else in a tar is ignored. */
const ENTRY = /^(manifest\.json|data\/[A-Za-z0-9._-]+|config\/config\.yaml)$/;
/** The backup file name: `clawbox-<UTC time to the ms>.cbx`; sorting by name sorts by age. */
const BACKUP_NAME = /^clawbox-\d{8}T\d{9}Z\.cbx$/;

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

export interface CreateBackupOptions {
  db: Database;
  dataDir: string;
  /** Config file to include, or null. */
  configFile: string | null;
  passphrase: string;
  /** Folder of the archives (created 0700). */
  dir: string;
  /** Newest archives kept; older `clawbox-*.cbx` in `dir` are deleted after this one is written. */
  keep: number;
  /** ms since the epoch (file name and manifest time). */
  now?: number;
}

export interface BackupFileInfo {
  name: string;
  path: string;
  bytes: number;
  createdAt: string;
}

/**
 * Makes one encrypted backup: an online snapshot of the SQLite database (better-sqlite3 `db.backup()`,
 * SQLite's online backup API: consistent while the agent keeps writing — conversations, outbox, pairing,
 * settings, accounts, job runs), the config file and the data dir's small files (API token and other
 * secrets), as a gzip'd tar with `manifest.json`, encrypted by backup-crypto.ts and written atomically
 * (0600) as `<dir>/clawbox-<time>.cbx`; then prunes to the newest `keep`. The staging folder (0700, inside
 * `dir`) is removed whatever happens. Returns the new file. Throws UserError for a short passphrase.
 */
export async function createBackup(o: CreateBackupOptions): Promise<BackupFileInfo & { pruned: string[] }> {
  const now = o.now ?? Date.now();
  if (!existsSync(o.dir)) {
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    // Made by root (a fleet playbook's `backup create`): the agent's daily job must still write here.
    if (process.getuid?.() === 0) {
      const parent = statSync(dirname(o.dir));
      chownSync(o.dir, parent.uid, parent.gid);
    }
  }
  const staging = mkdtempSync(join(o.dir, ".staging-"));
  try {
    mkdirSync(join(staging, "data"), { mode: 0o700 });
    await o.db.backup(join(staging, "data", "clawbox.db"));
    writeFileSync(join(staging, "data", "device-key"), loadDeviceKey(o.dataDir).key, { mode: 0o600 });
    for (const name of readdirSync(o.dataDir)) {
      if (EXCLUDED.has(name) || name.startsWith(".")) continue;
      const st = statSync(join(o.dataDir, name));
      if (!st.isFile() || st.size > MAX_EXTRA_FILE_BYTES) continue;
      writeFileSync(join(staging, "data", name), readFileSync(join(o.dataDir, name)), { mode: 0o600 });
    }
    if (o.configFile && existsSync(o.configFile)) {
      mkdirSync(join(staging, "config"), { mode: 0o700 });
      writeFileSync(join(staging, "config", "config.yaml"), readFileSync(o.configFile), { mode: 0o600 });
    }
    const files: BackupManifest["files"] = {};
    for (const sub of ["data", "config"]) {
      if (!existsSync(join(staging, sub))) continue;
      for (const name of readdirSync(join(staging, sub)).sort()) {
        const bytes = readFileSync(join(staging, sub, name));
        files[`${sub}/${name}`] = { bytes: bytes.length, sha256: sha256(bytes) };
      }
    }
    const manifest: BackupManifest = {
      format: 1,
      createdAt: new Date(now).toISOString(),
      agentVersion: VERSION,
      hostname: hostname(),
      schemaVersion: schemaVersionOf(join(staging, "data", "clawbox.db")),
      files,
    };
    writeFileSync(join(staging, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    const tarFile = join(staging, "backup.tar.gz");
    tar.c({ gzip: true, portable: true, cwd: staging, file: tarFile, sync: true }, [
      "manifest.json",
      ...Object.keys(files),
    ]);
    const stamp = new Date(now).toISOString().replace(/[-:]/g, "").replace(".", "");
    const name = `clawbox-${stamp}.cbx`;
    const path = join(o.dir, name);
    writeOwnFileAtomic(path, encryptBackup(readFileSync(tarFile), o.passphrase));
    const pruned = listBackups(o.dir)
      .slice(o.keep)
      .map((b) => {
        unlinkSync(b.path);
        return b.name;
      });
    return { name, path, bytes: statSync(path).size, createdAt: manifest.createdAt, pruned };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The backups in `dir`, newest first ([] when the folder does not exist). */
export function listBackups(dir: string): BackupFileInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => BACKUP_NAME.test(n))
    .sort()
    .reverse()
    .map((name) => {
      const s = /^clawbox-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(name) as RegExpExecArray;
      return {
        name,
        path: join(dir, name),
        bytes: statSync(join(dir, name)).size,
        createdAt: `${s[1]}-${s[2]}-${s[3]}T${s[4]}:${s[5]}:${s[6]}.${s[7]}Z`,
      };
    });
}

function schemaVersionOf(dbFile: string): number {
  const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null };
    return row.v ?? 0;
  } finally {
    db.close();
  }
}

/**
 * Decrypts, authenticates and unpacks `archive` into a new folder `<parent>/.restore-*` (0700) and checks
 * every file against the manifest, the database with SQLite's integrity check, and that its schema is not
 * newer than this agent's. Returns the folder and manifest; on any failure the folder is removed and
 * UserError is thrown (`backup_passphrase`, `backup_damaged`, `backup_format`, `backup_newer`): nothing
 * outside the temporary folder is touched.
 */
export function unpackBackup(
  archive: Buffer,
  passphrase: string,
  parent: string,
): { dir: string; manifest: BackupManifest } {
  const payload = decryptBackup(archive, passphrase);
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(parent, ".restore-"));
  try {
    gunzipSync(payload); // a payload that is not gzip is caught here with a clear error
    const tarFile = join(dir, "backup.tar.gz");
    writeFileSync(tarFile, payload, { mode: 0o600 });
    const unpacked = join(dir, "content");
    mkdirSync(unpacked, { mode: 0o700 });
    tar.x({ file: tarFile, cwd: unpacked, sync: true, strict: true, filter: (p) => ENTRY.test(p) });
    unlinkSync(tarFile);
    const manifest = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8")) as BackupManifest;
    if (manifest.format !== 1 || !manifest.files?.["data/clawbox.db"]) throw new Error("no database");
    for (const [path, want] of Object.entries(manifest.files)) {
      if (!ENTRY.test(path)) throw new Error(`unexpected entry ${path}`);
      const got = readFileSync(join(unpacked, path));
      if (got.length !== want.bytes || sha256(got) !== want.sha256) throw new Error(`${path} differs`);
    }
    const newest = MIGRATIONS.reduce((m, x) => Math.max(m, x.version), 0);
    if (manifest.schemaVersion > newest) {
      throw new UserError(
        `this backup's database (schema ${manifest.schemaVersion}) is newer than this agent knows (${newest})`,
        { code: ErrorCode.BACKUP_NEWER, fix: `update the agent to ${manifest.agentVersion} or newer first` },
      );
    }
    const db = new BetterSqlite3(join(unpacked, "data", "clawbox.db"), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      const ok = (db.pragma("integrity_check(1)") as { integrity_check: string }[])[0]?.integrity_check;
      if (ok !== "ok") throw new Error(`database: ${ok}`);
    } finally {
      db.close();
    }
    return { dir: unpacked, manifest };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (err instanceof UserError) throw err;
    throw new UserError(`this backup's content is not usable (${(err as Error).message})`, {
      code: ErrorCode.BACKUP_DAMAGED,
      fix: "use another copy of the backup (nothing was changed)",
    });
  }
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** Data-dir files written. */
  restored: string[];
  /** Where the config went: the config file, `<dataDir>/config.restored.yaml`, or null (none in the backup). */
  config: string | null;
}

/**
 * Moves an unpacked backup (unpackBackup's `dir`) into place: the data files into `dataDir` (rename on the
 * same filesystem; a stale WAL of the old database is removed first), the config to `configFile`
 * (atomic, 0600) or to `<dataDir>/config.restored.yaml` when there is none. The agent must not be running
 * on `dataDir`. Removes the unpacked folder.
 */
export function applyUnpackedBackup(
  unpacked: { dir: string; manifest: BackupManifest },
  dataDir: string,
  configFile: string | null,
): RestoreResult {
  const restored: string[] = [];
  const owner = statSync(dataDir);
  for (const ext of ["-wal", "-shm", "-journal"]) rmSync(`${databasePath(dataDir)}${ext}`, { force: true });
  for (const path of Object.keys(unpacked.manifest.files).filter((p) => p.startsWith("data/"))) {
    const name = path.slice("data/".length);
    chmodSync(join(unpacked.dir, path), 0o600);
    // Restored by root (sudo clawbox backup restore): the files belong to the agent's user, like their folder.
    if (process.getuid?.() === 0) chownSync(join(unpacked.dir, path), owner.uid, owner.gid);
    renameSync(join(unpacked.dir, path), join(dataDir, name));
    restored.push(name);
  }
  // The restored key replaces this device's (loadDeviceKey wraps it with the device's credential, if any).
  if (restored.includes("device-key")) rmSync(dataKeyPath(dataDir), { force: true });
  let config: string | null = null;
  const configPath = join(unpacked.dir, "config", "config.yaml");
  if (existsSync(configPath)) {
    config = configFile ?? join(dataDir, "config.restored.yaml");
    writeOwnFileAtomic(config, readFileSync(configPath));
  }
  rmSync(join(unpacked.dir, ".."), { recursive: true, force: true });
  return { manifest: unpacked.manifest, restored, config };
}
