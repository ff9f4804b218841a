import type { Command } from "commander";
import { loadConfig } from "../config/load-config.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { detectHardware } from "../hardware/detect.js";
import { loadProfiles, matchProfile } from "../hardware/profiles.js";
import { loadHardwareReport } from "../hardware/report-schema.js";
import { loadCatalogue } from "../models/catalogue.js";
import { formatRecommendation } from "../models/format.js";
import { configuredOffers, discoverClawboxes } from "../models/remote-offers.js";
import { recommend } from "../models/select.js";
import { modelsDir, resolveDataDir } from "../paths.js";

interface RecommendFlags {
  hardware?: string;
  json?: boolean;
  minTps?: string;
  context?: string;
  lang?: string[];
  dataDir?: string;
  config?: string;
  /** false with --no-discover. */
  discover?: boolean;
}

/**
 * `clawbox recommend [--hardware report.json] [--json] [--min-tps N] [--context N] [--lang zh] [--data-dir D]`
 * Without --hardware it measures this machine (free disk of `<data dir>/models`) and counts models already
 * in the store as needing no disk; with it, it reads and validates a saved HardwareReport (another device).
 * `--json` prints the Recommendation; otherwise a readable explanation and the alternatives. When nothing
 * fits, the config's backends: (`--config`, default /etc/clawbox/config.yaml) and the clawbox devices
 * announcing `_clawbox._tcp` on the LAN (2 s of mDNS browsing, unless --no-discover) are offered instead.
 */
export function register(program: Command): void {
  program
    .command("recommend")
    .option(
      "--hardware <file>",
      "a HardwareReport JSON (from `clawbox detect --json`) instead of this machine",
    )
    .option("--json", "print the recommendation as JSON")
    .option("--min-tps <n>", "speed floor in tokens/s (default 5)")
    .option("--context <n>", "context size in tokens (default: the device profile's)")
    .option("--lang <code...>", "prefer models that support these languages (ISO 639-1, e.g. zh)")
    .option("--data-dir <dir>", "agent data folder (default: $CLAWBOX_DATA_DIR or ~/.local/share/clawbox)")
    .option("--config <file>", "config file whose backends: are offered when nothing fits locally")
    .option("--no-discover", "do not look for other clawbox devices on the LAN (mDNS) when nothing fits")
    .action(async (flags: RecommendFlags) => {
      const minTokensPerSecond = positive(flags.minTps, "--min-tps", false);
      const contextSize = positive(flags.context, "--context", true);
      // models/store.ts imports node-llama-cpp (~0.6 s): loaded only when this command runs
      const { ModelStore } = await import("../models/store.js");
      const store = new ModelStore(modelsDir(resolveDataDir(flags.dataDir)), { catalogue: [] });
      const report = flags.hardware
        ? loadHardwareReport(flags.hardware, (w) => process.stderr.write(`warning: ${w}\n`))
        : await detectHardware({ modelsDir: store.dir });
      const installedFiles = flags.hardware ? [] : (await store.list()).map((m) => m.name);
      const { profile, why } = matchProfile(report, loadProfiles());
      const catalogue = loadCatalogue();
      const preferLanguages = (flags.lang ?? [])
        .flatMap((l) => l.split(","))
        .map((l) => l.trim())
        .filter(Boolean);
      for (const l of preferLanguages)
        if (!/^[a-z]{2}$/i.test(l))
          throw new UserError(`--lang ${l} is not a two-letter language code`, {
            code: ErrorCode.INVALID_USAGE,
            fix: "use e.g. --lang zh",
          });
      const options = { minTokensPerSecond, contextSize, preferLanguages, installedFiles };
      let rec = recommend(report, profile, catalogue, options);
      if (!rec.choice) {
        // nothing fits: offer a stronger machine instead of a dead end (configured, else found on the LAN)
        const { config } = loadConfig(flags.config);
        const configured = configuredOffers(config.backends, config.routing);
        const found = flags.discover === false ? [] : await discoverClawboxes(2_000, configured);
        rec = recommend(report, profile, catalogue, {
          ...options,
          remoteBackends: [...configured, ...found],
        });
      }
      process.stdout.write(
        flags.json ? `${JSON.stringify(rec, null, 2)}\n` : formatRecommendation(rec, catalogue, why),
      );
    });
}

function positive(value: string | undefined, flag: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)) || (integer && n < 128))
    throw new UserError(`${flag} ${value} is not a valid ${integer ? "context size" : "speed"}`, {
      code: ErrorCode.INVALID_USAGE,
      fix: integer
        ? `give a whole number of tokens ≥ 128, e.g. ${flag} 4096`
        : `give a positive number, e.g. ${flag} 5`,
    });
  return n;
}
