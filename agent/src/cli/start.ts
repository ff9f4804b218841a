import type { Command } from "commander";
import { parseIntFlag } from "../config/load-config.js";
import type { StartFlags } from "./types.js";

/**
 * `clawbox start [--config FILE] [--model PATH|ID] [--port N] [--host H] [--data-dir D] [--threads N]
 * [--context-size N]`: runs the agent in the foreground. Prints one human line on stdout
 * ("clawbox listening on http://… — model …"), JSON logs on stderr (level: $CLAWBOX_LOG_LEVEL, else the
 * config's log.level). SIGINT/SIGTERM stop it gracefully
 * (in-flight requests finish, then model and database close; exit 0).
 */
export function register(program: Command): void {
  program
    .command("start")
    .option("--config <file>", "config file (default: /etc/clawbox/config.yaml if it exists)")
    .option("--model <path|id>", "GGUF file or catalogue id of a model in the store")
    .option("--port <n>", "TCP port (0 = any free port)", parseIntFlag("--port", 0, 65535))
    .option("--host <host>", "interface to listen on (default 127.0.0.1)")
    .option("--data-dir <dir>", "agent data folder (token, database, models)")
    .option("--threads <n>", "CPU threads for inference", parseIntFlag("--threads", 1, 1024))
    .option("--context-size <n>", "context size in tokens", parseIntFlag("--context-size", 64, 1048576))
    .action(async (flags: StartFlags) => {
      const { runStart } = await import("./start-run.js");
      await runStart(flags);
    });
}
