import type { Command } from "commander";
import { applyOverrides, defaultConfig, loadConfig } from "../config/load-config.js";
import type { CheckResult } from "../doctor/checks.js";
import { describeError } from "../errors.js";

const MARK = { ok: "✓", warn: "!", fail: "✗" } as const;

/**
 * `clawbox doctor [--config F] [--data-dir D] [--json]`: checks Node, config, profile, free disk, port,
 * GPU runtime and model; prints each with its fix. Exit code 1 when any check fails (warnings do not).
 */
export function register(program: Command): void {
  program
    .command("doctor")
    .option("--config <file>", "config file (default /etc/clawbox/config.yaml when it exists)")
    .option("--data-dir <dir>", "agent data folder")
    .option("--json", "print the results as JSON")
    .action(async (flags: { config?: string; dataDir?: string; json?: boolean }) => {
      let configLine: CheckResult;
      let config: ReturnType<typeof loadConfig>["config"];
      try {
        const loaded = loadConfig(flags.config);
        config = applyOverrides(loaded.config, { dataDir: flags.dataDir });
        configLine = {
          name: "config",
          status: "ok",
          detail: loaded.file ?? "built-in defaults (no config file)",
        };
      } catch (err) {
        config = applyOverrides(defaultConfig(), { dataDir: flags.dataDir });
        configLine = {
          name: "config",
          status: "fail",
          detail: describeError(err),
          fix: "fix the config file, then run `clawbox config validate FILE`",
        };
      }
      // the checks import hardware detection and the model store (node-llama-cpp): loaded on use
      const { runChecks } = await import("../doctor/checks.js");
      const results = await runChecks(config, configLine);
      if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else
        for (const r of results)
          process.stdout.write(
            `${MARK[r.status]} ${r.name.padEnd(8)} ${r.detail}${r.fix ? `\n           fix: ${r.fix}` : ""}\n`,
          );
      if (results.some((r) => r.status === "fail")) process.exitCode = 1;
    });
}
