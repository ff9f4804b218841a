import { existsSync, unlinkSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { importSeed, seedErrorLine } from "../seed/import-seed.js";
import { writeIfChanged } from "../seed/owned-file.js";
import { SEED_ERROR_FILE, seedPaths } from "../seed/seed-paths.js";

/**
 * `clawbox seed import --file F [--report R] [--root DIR]`: imports a boot-partition seed
 * (provisioning/README.md). Prints one line per applied item (never a secret). On a seed the owner must
 * fix, nothing is applied, the error is written as one line to R (0640, owner of R's folder) and the
 * command fails (exit 1) with the same message; a successful import removes a stale R. `--root` puts every
 * system path below DIR (tests, or an image mounted elsewhere).
 */
export function register(program: Command): void {
  const seed = program.command("seed");
  seed
    .command("import")
    .description("Validate and apply a seed file, then scrub its secrets and rename it .applied")
    .requiredOption("--file <file>", "the seed, e.g. /boot/firmware/clawbox.yaml")
    .option("--report <file>", "where a rejected seed's error line goes", SEED_ERROR_FILE)
    .option("--root <dir>", "root folder the system paths are below", "/")
    .action(async (opts: { file: string; report: string; root: string }) => {
      const report = resolve(opts.report);
      try {
        const result = await importSeed(resolve(opts.file), seedPaths(opts.root));
        for (const change of result.changes) process.stdout.write(`seed: set ${change}\n`);
        if (result.changes.length === 0) process.stdout.write("seed: nothing to change\n");
        process.stdout.write(`seed: applied; secrets removed from ${result.appliedFile}\n`);
        if (existsSync(report)) unlinkSync(report);
      } catch (err) {
        writeIfChanged(report, `${seedErrorLine(err)}\n`, { mode: 0o640, ownerOf: dirname(report) });
        throw err;
      }
    });
}
