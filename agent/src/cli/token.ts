import type { Command } from "commander";
import { configDataDir, loadConfig } from "../config/load-config.js";
import { ensureApiToken, rotateApiToken } from "../server/api-token.js";
import { auditFromCli } from "./cli-audit.js";

/**
 * `clawbox token [--data-dir D] [--config FILE] [--rotate]`: prints the API bearer token of a data dir
 * (generating it on first use). `--rotate` writes a new one; a running agent keeps the old one until it
 * restarts (a note on stderr says so); the rotation is written to the audit log as `cli:<user>`.
 */
export function register(program: Command): void {
  program
    .command("token")
    .option(
      "--data-dir <dir>",
      "agent data folder (default: config dataDir, $CLAWBOX_DATA_DIR, ~/.local/share/clawbox)",
    )
    .option("--config <file>", "config file (default: /etc/clawbox/config.yaml if it exists)")
    .option("--rotate", "replace the token with a new one")
    .action((opts: { dataDir?: string; config?: string; rotate?: boolean }) => {
      const dataDir = opts.dataDir ?? configDataDir(loadConfig(opts.config).config);
      const token = opts.rotate ? rotateApiToken(dataDir) : ensureApiToken(dataDir);
      process.stdout.write(`${token}\n`);
      if (opts.rotate) {
        auditFromCli({ dataDir }, "token.rotate", null);
        process.stderr.write("new token written; restart the agent to use it\n");
      }
    });
}
