import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { applyUnpackedBackup, listBackups, unpackBackup } from "../backup/backup-archive.js";
import { BackupService, backupDir } from "../backup/backup-service.js";
import { configDataDir, loadConfig } from "../config/load-config.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { collectDeviceStatus } from "../fleet/device-status.js";
import { formatFileSize } from "../format/bytes.js";
import { openDatabase } from "../store/database.js";

interface BackupCliOptions {
  dataDir?: string;
  config?: string;
  dir?: string;
  passphraseFile?: string;
}

/**
 * The passphrase from `--passphrase-file` (first line), else $CLAWBOX_BACKUP_PASSPHRASE, else undefined
 * (never from an argument: it would be in the shell history and `ps`).
 */
function passphraseFrom(opts: BackupCliOptions): string | undefined {
  if (opts.passphraseFile) return readFileSync(opts.passphraseFile, "utf8").split("\n")[0] ?? "";
  return process.env.CLAWBOX_BACKUP_PASSPHRASE || undefined;
}

function context(opts: BackupCliOptions) {
  const loaded = loadConfig(opts.config);
  const dataDir = opts.dataDir ?? configDataDir(loaded.config);
  return { ...loaded, dataDir, dir: opts.dir ?? backupDir(loaded.config, dataDir) };
}

/**
 * `clawbox backup passphrase | create | list | restore <file>` (each with `--data-dir`, `--config`, `--dir`):
 * - `passphrase`: stores the passphrase for scheduled backups, read from `--passphrase-file` or
 *   $CLAWBOX_BACKUP_PASSPHRASE;
 * - `create`: one encrypted backup now (with that passphrase, or the stored one), pruned to jobs.backup.keep;
 * - `list`: the backups, newest first;
 * - `restore <file>`: checks the whole archive first (a wrong passphrase or a damaged file changes nothing),
 *   then puts the database, secrets and config back. Refuses while an agent runs on the data dir.
 */
export function register(program: Command): void {
  const group = program.command("backup");
  const common = (c: Command) =>
    c
      .option("--data-dir <dir>", "agent data folder (default: config dataDir, $CLAWBOX_DATA_DIR)")
      .option("--config <file>", "config file (default: /etc/clawbox/config.yaml if it exists)")
      .option("--dir <dir>", "backup folder (default: jobs.backup.dir, <data dir>/backups)")
      .option(
        "--passphrase-file <file>",
        "read the passphrase from this file (or $CLAWBOX_BACKUP_PASSPHRASE)",
      );

  common(group.command("passphrase").description("Store the passphrase scheduled backups use")).action(
    (opts: BackupCliOptions) => {
      const passphrase = passphraseFrom(opts);
      if (!passphrase) throw noPassphrase();
      const c = context(opts);
      const db = openDatabase(c.dataDir);
      try {
        new BackupService({ db, dataDir: c.dataDir, configFile: c.file, dir: c.dir, keep: 1 }).setPassphrase(
          passphrase,
        );
      } finally {
        db.close();
      }
      process.stdout.write("backup passphrase stored; scheduled backups will use it\n");
    },
  );

  common(group.command("create").description("Make an encrypted backup now")).action(
    async (opts: BackupCliOptions) => {
      const c = context(opts);
      const db = openDatabase(c.dataDir);
      try {
        const service = new BackupService({
          db,
          dataDir: c.dataDir,
          configFile: c.file,
          dir: c.dir,
          keep: c.config.jobs.backup.keep,
        });
        const made = await service.create(passphraseFrom(opts));
        process.stdout.write(`${made.path} (${formatFileSize(made.bytes)})\n`);
        if (made.pruned.length > 0) process.stdout.write(`pruned: ${made.pruned.join(", ")}\n`);
      } finally {
        db.close();
      }
    },
  );

  common(group.command("list").description("List backups, newest first")).action((opts: BackupCliOptions) => {
    const backups = listBackups(context(opts).dir);
    if (backups.length === 0) process.stdout.write("No backups.\n");
    for (const b of backups)
      process.stdout.write(`${b.createdAt}  ${formatFileSize(b.bytes).padStart(10)}  ${b.path}\n`);
  });

  common(
    group.command("restore <file>").description("Restore a backup into the data dir (agent stopped)"),
  ).action(async (file: string, opts: BackupCliOptions) => {
    const passphrase = passphraseFrom(opts);
    if (!passphrase) throw noPassphrase();
    const c = context(opts);
    const status = await collectDeviceStatus({ dataDir: c.dataDir, timeoutMs: 1_000 });
    if (status.health !== "down") {
      throw new UserError(`an agent is running on ${c.dataDir} (${status.agentUrl})`, {
        code: ErrorCode.AGENT_RUNNING,
        fix: "stop it first (sudo systemctl stop clawbox-agent), or restore from the dashboard",
      });
    }
    let archive: Buffer;
    try {
      archive = readFileSync(file);
    } catch (err) {
      throw new UserError(`cannot read ${file}: ${(err as Error).message}`, { code: ErrorCode.BACKUP_READ });
    }
    const unpacked = unpackBackup(archive, passphrase, c.dataDir);
    const result = applyUnpackedBackup(unpacked, c.dataDir, c.file);
    process.stdout.write(
      `restored the backup of ${result.manifest.hostname} from ${result.manifest.createdAt}: ` +
        `${result.restored.join(", ")}${result.config ? `; config → ${result.config}` : ""}\n`,
    );
  });
}

function noPassphrase(): UserError {
  return new UserError("no backup passphrase given", {
    code: ErrorCode.BACKUP_NO_PASSPHRASE,
    fix: "pass --passphrase-file FILE (first line) or set CLAWBOX_BACKUP_PASSPHRASE",
  });
}
