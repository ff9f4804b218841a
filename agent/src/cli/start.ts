import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { applyOverrides, configDataDir, loadConfig, parseIntFlag } from "../config/load-config.js";
import { detectHardware } from "../hardware/detect.js";
import { createInferenceService } from "../inference/engine.js";
import { loadCatalogue } from "../models/catalogue.js";
import { pickDefaultModel } from "../models/default-model.js";
import { ModelStore } from "../models/store.js";
import { modelsDir } from "../paths.js";
import { loadProfilesOrNone } from "../server/agent-runtime.js";
import { startAgent } from "../server/start-agent.js";
import { hardwareOverview } from "../setup/hardware-overview.js";
import { formatSetupCode } from "../setup/setup-code.js";
import { LogRing } from "../system/log-ring.js";
import { createTeeLogger } from "../system/tee-logger.js";

interface StartFlags {
  config?: string;
  model?: string;
  port?: number;
  host?: string;
  dataDir?: string;
  threads?: number;
  contextSize?: number;
}

/** How long a graceful stop may take before the process exits anyway, ms (systemd's default stop timeout is 90 s). */
const STOP_GRACE_MS = 30_000;

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
    .description("Start the agent: OpenAI-compatible API on the local model")
    .option("--config <file>", "config file (default: /etc/clawbox/config.yaml if it exists)")
    .option("--model <path|id>", "GGUF file or catalogue id of a model in the store")
    .option("--port <n>", "TCP port (0 = any free port)", parseIntFlag("--port", 0, 65535))
    .option("--host <host>", "interface to listen on (default 127.0.0.1)")
    .option("--data-dir <dir>", "agent data folder (token, database, models)")
    .option("--threads <n>", "CPU threads for inference", parseIntFlag("--threads", 1, 1024))
    .option("--context-size <n>", "context size in tokens", parseIntFlag("--context-size", 64, 1048576))
    .action(async (flags: StartFlags) => {
      const loaded = loadConfig(flags.config);
      const config = applyOverrides(loaded.config, flags);
      const logRing = new LogRing();
      const logger = createTeeLogger(process.env.CLAWBOX_LOG_LEVEL ?? config.log.level, logRing);
      const models = modelsDir(configDataDir(config));
      if (loaded.file) logger.info({ file: loaded.file }, "config loaded");
      const profiles = loadProfilesOrNone(logger);
      const catalogue = loadCatalogue();
      const modelStore = new ModelStore(models, { catalogue });
      const agent = await startAgent({
        config,
        logger,
        logRing,
        modelStore,
        configText: () => (loaded.file ? readFileSync(loaded.file, "utf8") : null),
        hardwareOverview: (report, profileId, languages) =>
          hardwareOverview(report, profiles, profileId, catalogue, modelStore, {
            ...config.recommend,
            languages: [...new Set([...(config.recommend.languages ?? []), ...languages])],
          }),
        detect: () => detectHardware({ modelsDir: models }),
        profiles,
        createInference: () =>
          createInferenceService({
            logger,
            maxQueued: config.inference.maxQueue,
            defaultMaxTokens: config.inference.maxTokensDefault,
            defaultTimeoutMs: config.inference.requestTimeoutMs,
          }),
        resolveStoreId: (ref) => new ModelStore(models, { catalogue: loadCatalogue() }).resolve(ref),
        defaultModel: (report, profileId) => {
          const catalogue = loadCatalogue();
          return pickDefaultModel(
            report,
            profiles.find((p) => p.id === profileId) ?? null,
            catalogue,
            new ModelStore(models, { catalogue }),
            {
              minTokensPerSecond: config.recommend.minTokensPerSecond,
              preferLanguages: config.recommend.languages ?? [],
            },
          );
        },
      });
      const tokenHint = `token: clawbox token --data-dir ${agent.dataDir}`;
      const what = agent.model
        ? `model ${agent.model.id}`
        : agent.setupCode
          ? "no model loaded — the setup wizard recommends and downloads one (or `clawbox models pull <id>`, then `clawbox models use <id>`)"
          : "no model loaded — get one with `clawbox recommend` and `clawbox models pull <id>`, then `clawbox models use <id>` (or restart with --model FILE.gguf)";
      process.stdout.write(`clawbox listening on ${agent.url} — ${what} (${tokenHint})\n`);
      if (agent.setupCode) {
        process.stdout.write(
          `setup: open ${agent.url} and enter the setup code ${formatSetupCode(agent.setupCode)} ` +
            `(again: clawbox setup-code --data-dir ${agent.dataDir})\n`,
        );
      }
      if (agent.tlsFingerprint) process.stdout.write(`TLS certificate SHA-256: ${agent.tlsFingerprint}\n`);
      await waitForStopSignal();
      logger.info("stopping: finishing in-flight requests");
      const timer = setTimeout(() => {
        logger.error({ graceMs: STOP_GRACE_MS }, "graceful stop took too long; exiting");
        process.exit(1);
      }, STOP_GRACE_MS);
      timer.unref();
      await agent.close();
      clearTimeout(timer);
      logger.info("stopped");
    });
}

/** Resolves on the first SIGINT or SIGTERM; a second signal exits at once (status 130). */
function waitForStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      process.once("SIGINT", () => process.exit(130));
      process.once("SIGTERM", () => process.exit(130));
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
