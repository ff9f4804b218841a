import { readFileSync } from "node:fs";
import { loadProfilesOrNone } from "../app/agent-runtime.js";
import { startAgent } from "../app/start-agent.js";
import { applyPendingRestore } from "../backup/backup-service.js";
import { applyOverrides, configDataDir, loadConfig } from "../config/load-config.js";
import { detectHardware } from "../hardware/detect.js";
import { createInferenceService } from "../inference/engine.js";
import { loadCatalogue } from "../models/catalogue.js";
import { pickDefaultModel } from "../models/default-model.js";
import { configuredOffers } from "../models/remote-offers.js";
import { ModelStore } from "../models/store.js";
import { modelsDir } from "../paths.js";
import { hardwareOverview } from "../setup/hardware-overview.js";
import { formatSetupCode } from "../setup/setup-code.js";
import { LogRing } from "../system/log-ring.js";
import { createTeeLogger } from "../system/tee-logger.js";
import type { StartFlags } from "./types.js";

/** How long a graceful stop may take before the process exits anyway, ms (systemd's default stop timeout is 90 s). */
const STOP_GRACE_MS = 30_000;

/**
 * The body of `clawbox start` (see cli/start.ts): config → agent → one human line on stdout → wait for
 * SIGINT/SIGTERM → graceful stop. Kept apart so that other commands never load the engine and server.
 */
export async function runStart(flags: StartFlags): Promise<void> {
  let loaded = loadConfig(flags.config);
  // A restore staged in the dashboard or wizard is applied before anything opens the database; its config
  // (when it had one) then replaces the one just read.
  const restored = applyPendingRestore(configDataDir(applyOverrides(loaded.config, flags)), loaded.file);
  if (restored) loaded = loadConfig(flags.config);
  const config = applyOverrides(loaded.config, flags);
  const logRing = new LogRing();
  const logger = createTeeLogger(process.env.CLAWBOX_LOG_LEVEL ?? config.log.level, logRing);
  if (restored) {
    logger.info(
      { from: restored.manifest.hostname, createdAt: restored.manifest.createdAt, files: restored.restored },
      "backup restored",
    );
  }
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
    configFile: loaded.file,
    // EX_TEMPFAIL (75): systemd's Restart=on-failure starts the agent again, which applies a staged restore
    requestRestart: () => {
      process.exitCode = 75;
      process.kill(process.pid, "SIGTERM");
    },
    hardwareOverview: (report, profileId, languages) =>
      hardwareOverview(report, profiles, profileId, catalogue, modelStore, {
        ...config.recommend,
        languages: [...new Set([...(config.recommend.languages ?? []), ...languages])],
        remoteBackends: configuredOffers(config.backends, config.routing),
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
    resolveStoreId: (ref) => modelStore.resolve(ref),
    defaultModel: (report, profileId) =>
      pickDefaultModel(report, profiles.find((p) => p.id === profileId) ?? null, catalogue, modelStore, {
        minTokensPerSecond: config.recommend.minTokensPerSecond,
        preferLanguages: config.recommend.languages ?? [],
      }),
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
