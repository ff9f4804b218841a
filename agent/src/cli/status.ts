import type { Command } from "commander";
import { configDataDir, loadConfig } from "../config/load-config.js";
import { collectDeviceStatus } from "../fleet/device-status.js";
import { formatDeviceStatus } from "../fleet/status-table.js";

/**
 * `clawbox status [--json] [--data-dir D] [--config FILE] [--thermal-dir DIR]`: this device's agent version,
 * model, health, uptime, temperature, tokens/s and free disk. Asks the running agent (its `agent-url` and
 * API token in the data dir); when none answers, health is "down" and the rest is read locally. Exit code 0
 * either way (the health field says it), so `clawbox fleet status` can collect it over SSH.
 */
export function register(program: Command): void {
  program
    .command("status")
    .option("--json", "print one JSON object (for clawbox fleet status)")
    .option("--data-dir <dir>", "agent data folder (default: config dataDir, $CLAWBOX_DATA_DIR)")
    .option("--config <file>", "config file (default: /etc/clawbox/config.yaml if it exists)")
    .option("--thermal-dir <dir>", "thermal zones folder", "/sys/class/thermal")
    .action(async (opts: { json?: boolean; dataDir?: string; config?: string; thermalDir: string }) => {
      const dataDir = opts.dataDir ?? configDataDir(loadConfig(opts.config).config);
      const status = await collectDeviceStatus({ dataDir, thermalDir: opts.thermalDir });
      process.stdout.write(opts.json ? `${JSON.stringify(status)}\n` : formatDeviceStatus(status));
    });
}
