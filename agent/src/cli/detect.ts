import type { Command } from "commander";
import { describeError, UserError } from "../errors.js";
import { detectHardware } from "../hardware/detect.js";
import { loadProfiles, matchProfile } from "../hardware/profiles.js";
import { formatHardwareSummary } from "../hardware/summary.js";
import { modelsDir, resolveDataDir } from "../paths.js";

/**
 * `clawbox detect [--json] [--models-dir DIR] [--data-dir DIR]` — measures this machine.
 * `--json` prints the HardwareReport (the input of `clawbox recommend --hardware FILE`); otherwise a
 * readable summary with the matched device profile and why. The free disk space is measured for the
 * models folder: `--models-dir`, else `<data dir>/models` (data dir as resolveDataDir: `--data-dir`,
 * $CLAWBOX_DATA_DIR, XDG). A profile problem (no profile for this arch, broken profile file) is shown in
 * the summary instead of failing the detection.
 */
export function register(program: Command): void {
  program
    .command("detect")
    .option("--json", "print the HardwareReport as JSON")
    .option("--models-dir <dir>", "folder whose free disk space to measure (default: <data dir>/models)")
    .option("--data-dir <dir>", "agent data folder (default: $CLAWBOX_DATA_DIR or ~/.local/share/clawbox)")
    .action(async (opts: { json?: boolean; modelsDir?: string; dataDir?: string }) => {
      const report = await detectHardware({
        modelsDir: opts.modelsDir ?? modelsDir(resolveDataDir(opts.dataDir)),
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      let match: ReturnType<typeof matchProfile> | null = null;
      let problem: string | undefined;
      try {
        match = matchProfile(report, loadProfiles());
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        problem = describeError(err).replace(/\n\s*/g, " ");
      }
      process.stdout.write(formatHardwareSummary(report, match, problem));
    });
}
