import type { Command } from "commander";
import { configDataDir, loadConfig } from "../config/load-config.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { readSetupCode } from "../setup/setup-code.js";

/**
 * `clawbox setup-code [--data-dir D] [--config FILE]`: prints the one-time setup code of a data dir
 * (8 characters, as stored; the wizard also accepts it grouped "ABCD-EFGH"). Exits with an error saying
 * why when there is none: setup already finished, or the agent never started with this data dir.
 */
export function register(program: Command): void {
  program
    .command("setup-code")
    .option(
      "--data-dir <dir>",
      "agent data folder (default: config dataDir, $CLAWBOX_DATA_DIR, ~/.local/share/clawbox)",
    )
    .option("--config <file>", "config file (default: /etc/clawbox/config.yaml if it exists)")
    .action((opts: { dataDir?: string; config?: string }) => {
      const dataDir = opts.dataDir ?? configDataDir(loadConfig(opts.config).config);
      const code = readSetupCode(dataDir);
      if (code === null) {
        throw new UserError(`there is no setup code in ${dataDir}`, {
          code: ErrorCode.NO_SETUP_CODE,
          fix: "setup is finished (log in to the dashboard instead), or start the agent once with this data dir",
        });
      }
      process.stdout.write(`${code}\n`);
    });
}
