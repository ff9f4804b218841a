import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Database } from "better-sqlite3";
import { writeFileAtomic } from "../config/atomic-write.js";
import type { ClawboxConfig } from "../config/config-schema.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import {
  applyUnpackedBackup,
  type BackupFileInfo,
  type BackupManifest,
  createBackup,
  listBackups,
  type RestoreResult,
  unpackBackup,
} from "./backup-archive.js";
import { checkPassphrase } from "./backup-crypto.js";

/** The stored passphrase for scheduled backups: `<dataDir>/backup-passphrase` (0600, never in a backup). */
export function passphraseFile(dataDir: string): string {
  return join(dataDir, "backup-passphrase");
}

/** Folder of a restore waiting for the next agent start (set by the dashboard, applied by startAgent). */
function pendingDir(dataDir: string): string {
  return join(dataDir, "restore-pending");
}

/** Where backups go: `jobs.backup.dir`, else `<dataDir>/backups`. */
export function backupDir(config: ClawboxConfig, dataDir: string): string {
  return config.jobs?.backup?.dir ?? join(dataDir, "backups");
}

/**
 * Backups of one data dir for the scheduler, the CLI and the dashboard: the owner's passphrase (stored
 * 0600 in the data dir so the daily job can run unattended), create + prune, list, read one file, and a
 * restore staged for the next start (a running agent cannot swap its open database).
 */
export class BackupService {
  constructor(
    private readonly o: {
      db: Database;
      dataDir: string;
      configFile: string | null;
      dir: string;
      keep: number;
    },
  ) {}

  hasPassphrase(): boolean {
    return existsSync(passphraseFile(this.o.dataDir));
  }

  /** Stores the passphrase for scheduled backups. Throws UserError when it is too short. */
  setPassphrase(passphrase: string): void {
    checkPassphrase(passphrase);
    writeFileAtomic(passphraseFile(this.o.dataDir), passphrase, { mode: 0o600 });
  }

  /**
   * Makes a backup with `passphrase` or the stored one, stamped `now` (ms; default the current time).
   * Throws UserError (`backup_no_passphrase`) when there is no passphrase.
   */
  async create(passphrase?: string, now?: number): Promise<BackupFileInfo & { pruned: string[] }> {
    const secret = passphrase ?? this.storedPassphrase();
    return createBackup({ ...this.o, passphrase: secret, now });
  }

  list(): BackupFileInfo[] {
    return listBackups(this.o.dir);
  }

  /** The bytes of backup `name` (from list()); throws UserError (`backup_unknown`, 404) for others. */
  read(name: string): Buffer {
    const found = this.list().find((b) => b.name === name);
    if (!found) {
      throw new UserError(`there is no backup named ${name}`, {
        status: 404,
        code: ErrorCode.BACKUP_UNKNOWN,
        fix: "pick one from the list of backups",
      });
    }
    return readFileSync(found.path);
  }

  /**
   * Checks `archive` completely (unpackBackup) and stages it; the agent applies it at its next start.
   * Throws UserError (wrong passphrase, damaged, …) without changing anything.
   */
  stageRestore(archive: Buffer, passphrase: string): BackupManifest {
    const unpacked = unpackBackup(archive, passphrase, this.o.dataDir);
    rmSync(pendingDir(this.o.dataDir), { recursive: true, force: true });
    renameSync(dirname(unpacked.dir), pendingDir(this.o.dataDir));
    return unpacked.manifest;
  }

  private storedPassphrase(): string {
    try {
      return readFileSync(passphraseFile(this.o.dataDir), "utf8");
    } catch {
      throw new UserError("no backup passphrase is set", {
        code: ErrorCode.BACKUP_NO_PASSPHRASE,
        fix: "set one in the dashboard (Backups) or with `clawbox backup passphrase`",
      });
    }
  }
}

/**
 * Applies a restore staged by BackupService.stageRestore, if there is one: called by startAgent before
 * the database is opened. Returns what was restored, or null when nothing was staged.
 */
export function applyPendingRestore(dataDir: string, configFile: string | null): RestoreResult | null {
  const staged = join(pendingDir(dataDir), "content");
  if (!existsSync(join(staged, "manifest.json"))) return null;
  const manifest = JSON.parse(readFileSync(join(staged, "manifest.json"), "utf8")) as BackupManifest;
  return applyUnpackedBackup({ dir: staged, manifest }, dataDir, configFile);
}
