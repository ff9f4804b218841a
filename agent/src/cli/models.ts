import type { Command } from "commander";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { formatFileSize } from "../format/bytes.js";
import type { DownloadProgress } from "../models/download.js";
import { formatModelList, formatProgress } from "../models/format.js";
import type { ModelStore } from "../models/store.js";
import { modelsDir, resolveDataDir } from "../paths.js";

const DATA_DIR_HELP = "agent data folder (default: $CLAWBOX_DATA_DIR or ~/.local/share/clawbox)";

/** The model store of `dataDir`; loaded on use because models/store.ts imports node-llama-cpp (~0.6 s). */
async function storeFor(dataDir: string | undefined): Promise<ModelStore> {
  const [{ ModelStore }, { loadCatalogue }] = await Promise.all([
    import("../models/store.js"),
    import("../models/catalogue.js"),
  ]);
  return new ModelStore(modelsDir(resolveDataDir(dataDir)), { catalogue: loadCatalogue() });
}

/**
 * `clawbox models list|pull|import|rm` on the model store `<data dir>/models` (`models use` lives in
 * models-use.ts). `pull` shows one progress line updated in place on a TTY (plain lines every 5 s otherwise);
 * Ctrl-C stops it and keeps the partial file, and pulling again resumes.
 */
export function register(models: Command): void {
  models
    .command("list")
    .description("List the GGUF models in the model store")
    .option("--json", "print the list as JSON")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .action(async (opts: { json?: boolean; dataDir?: string }) => {
      const store = await storeFor(opts.dataDir);
      const [list, partials] = await Promise.all([store.list(), store.partials()]);
      process.stdout.write(
        opts.json
          ? `${JSON.stringify({ dir: store.dir, models: list, partial: partials }, null, 2)}\n`
          : formatModelList(list, partials, store.dir),
      );
    });

  models
    .command("pull")
    .description(
      "Download a model: a catalogue id[:QUANT], hf:<user>/<repo>/<file>.gguf[#branch], hf:<user>/<repo>:<QUANT> or an https:// URL",
    )
    .argument("<model>", "what to download")
    .option("--sha256 <hex>", "expected SHA-256 of the file (the download is refused on mismatch)")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .action(async (ref: string, opts: { sha256?: string; dataDir?: string }) => {
      if (opts.sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(opts.sha256))
        throw new UserError(`--sha256 ${opts.sha256} is not 64 hex digits`, {
          code: ErrorCode.INVALID_USAGE,
          fix: "copy the full SHA-256 from the model page",
        });
      const store = await storeFor(opts.dataDir);
      const ac = new AbortController();
      const onSigint = () => ac.abort();
      process.once("SIGINT", onSigint);
      const progress = progressPrinter(ref);
      try {
        const got = await store.pull(ref, {
          sha256: opts.sha256,
          signal: ac.signal,
          onProgress: progress.update,
        });
        progress.done();
        const how = got.download
          ? got.download.resumed
            ? "downloaded (resumed)"
            : "downloaded"
          : "already in the store";
        process.stdout.write(
          `${got.name}: ${how}, ${formatFileSize(got.bytes)}${got.download ? `, sha256 ${got.download.sha256}` : ""}\n  ${got.path}\n`,
        );
      } catch (err) {
        progress.done();
        throw err;
      } finally {
        process.removeListener("SIGINT", onSigint);
      }
    });

  models
    .command("import")
    .description("Copy (or --move) a local .gguf file into the model store after checking its header")
    .argument("<file>", "a .gguf model file")
    .option("--move", "move the file instead of copying it")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .action(async (file: string, opts: { move?: boolean; dataDir?: string }) => {
      const stored = await (await storeFor(opts.dataDir)).import(file, { move: opts.move });
      const known = stored.modelId ? ` (${stored.modelId} ${stored.quant})` : "";
      process.stdout.write(
        `imported ${stored.name}${known}, ${formatFileSize(stored.bytes)}\n  ${stored.path}\n`,
      );
    });

  models
    .command("rm")
    .description("Remove a model (file name or catalogue id) or an unfinished download from the store")
    .argument("<name>", "file name from `clawbox models list`, or a catalogue id")
    .option("--data-dir <dir>", DATA_DIR_HELP)
    .action(async (name: string, opts: { dataDir?: string }) => {
      const removed = await (await storeFor(opts.dataDir)).remove(name);
      process.stdout.write(`removed ${removed.join(", ")}\n`);
    });
}

/** Progress on stderr: one line rewritten with \r on a TTY, a plain line every 5 s otherwise. */
function progressPrinter(name: string) {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let shown = false;
  let finished = false;
  return {
    update: (p: DownloadProgress) => {
      const now = Date.now();
      const done = p.totalBytes !== null && p.downloadedBytes >= p.totalBytes;
      if ((now - last < (tty ? 200 : 5000) && !done) || (done && finished)) return;
      finished = done;
      last = now;
      const line = formatProgress(name, p);
      process.stderr.write(
        tty
          ? `\r${line.padEnd((process.stderr.columns ?? 100) - 1).slice(0, (process.stderr.columns ?? 100) - 1)}`
          : `${line}\n`,
      );
      shown = true;
    },
    done: () => {
      if (tty && shown) process.stderr.write("\n");
    },
  };
}
