#!/usr/bin/env node
import { describeError } from "../errors.js";
import { collectDeviceStatus } from "./device-status.js";

/**
 * Light entry point for `clawbox fleet status`: prints the same JSON as `clawbox status --json --data-dir D`
 * but loads only the status code (no CLI, no inference engine), so answering over SSH costs ~50 ms of CPU
 * instead of ~500 ms (measured on the 2-core development VM: node-llama-cpp's import dominates the full
 * CLI's start-up). Usage: `node agent/dist/fleet/status-main.js --data-dir D [--thermal-dir DIR]`.
 */
async function main(argv: string[]): Promise<void> {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dataDir = flag("--data-dir") ?? process.env.CLAWBOX_DATA_DIR ?? "/var/lib/clawbox";
  const thermalDir = flag("--thermal-dir") ?? "/sys/class/thermal";
  const status = await collectDeviceStatus({ dataDir, thermalDir });
  process.stdout.write(`${JSON.stringify(status)}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`clawbox status: ${describeError(err)}\n`);
  process.exitCode = 1;
});
