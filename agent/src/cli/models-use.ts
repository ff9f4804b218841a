import { resolve } from "node:path";
import type { Command } from "commander";
import { configDataDir, loadConfig, looksLikePath } from "../config/load-config.js";
import { clientBaseUrl } from "../server/agent-url.js";
import { AgentClient } from "../server/api-client.js";
import { readApiToken } from "../server/api-token.js";

/**
 * `clawbox models use <id|file> [--url U] [--data-dir D] [--config FILE]`: asks the running agent to switch
 * its model (POST /admin/model with the data dir's token); in-flight requests finish on the old model.
 * A file path is made absolute here, since the agent may run in another folder. `remote:<name>` makes the
 * agent answer through that configured remote backend (refused while routing.localOnly is on).
 */
export function register(models: Command): void {
  models
    .command("use")
    .description("Switch the running agent to another model without restarting it")
    .argument(
      "<model>",
      "catalogue id of a model in the store, a GGUF file, or remote:<name> (a backend of the config's backends:)",
    )
    .option(
      "--url <url>",
      "agent URL (default: the running agent of the data dir, else the config's host:port)",
    )
    .option("--data-dir <dir>", "agent data folder (its API token is used)")
    .option("--config <file>", "config file (default: /etc/clawbox/config.yaml if it exists)")
    .action(async (ref: string, opts: { url?: string; dataDir?: string; config?: string }) => {
      const { config } = loadConfig(opts.config);
      const dataDir = opts.dataDir ? resolve(opts.dataDir) : configDataDir(config);
      const client = new AgentClient(
        clientBaseUrl({ url: opts.url, dataDir, config }),
        readApiToken(dataDir),
      );
      const model = await client.useModel(looksLikePath(ref) ? resolve(ref) : ref);
      process.stdout.write(
        model.remote
          ? `now answering through ${model.id} (${model.remote.url}${model.remote.model ? `, model ${model.remote.model}` : ""})\n`
          : `now serving ${model.id} (${model.path}, context ${model.contextSize} tokens, ${model.threads} threads)\n`,
      );
    });
}
