import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from "fastify";
import { BackupService, backupDir } from "../backup/backup-service.js";
import { BridgeConfigStore } from "../bridges/bridge-config-store.js";
import { BridgeManager } from "../bridges/bridge-manager.js";
import type { ClawboxConfig } from "../config/config-schema.js";
import { configDataDir } from "../config/load-config.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { DeviceProfile } from "../hardware/profile-types.js";
import type { HardwareReport } from "../hardware/types.js";
import { createBackendChain, remoteLoadSpec } from "../inference/backend-chain.js";
import type { InferenceService, LoadedModelInfo } from "../inference/types.js";
import { type Clock, SYSTEM_CLOCK } from "../jobs/clock.js";
import { createAgentScheduler } from "../jobs/create-jobs.js";
import type { Scheduler } from "../jobs/scheduler.js";
import type { DefaultModel } from "../models/default-model.js";
import type { ModelStore } from "../models/store.js";
import { PairingStore } from "../pairing/pairing-store.js";
import { REPO_ROOT } from "../paths.js";
import { createReminders } from "../reminders/reminders.js";
import { loadDeviceKey } from "../secrets/device-key.js";
import { sealedBridges } from "../secrets/sealed-bridges.js";
import { SEED_ADMIN_FILE, SEED_ERROR_FILE } from "../seed/seed-paths.js";
import { formatUrl, removeAgentUrl, writeAgentUrl } from "../server/agent-url.js";
import { ensureApiToken, rotateApiToken } from "../server/api-token.js";
import { buildServer } from "../server/build-server.js";
import { httpsRedirect } from "../server/https-redirect.js";
import { loadTls } from "../server/tls.js";
import { createSetupServices } from "../setup/create-setup-services.js";
import { startupModel } from "../setup/model-choice.js";
import type { SeedFiles } from "../setup/seed-admin.js";
import { SettingsStore } from "../setup/settings-store.js";
import type { HardwareOverview } from "../setup/setup-services.js";
import { AuditLog } from "../store/audit-log.js";
import { ConversationStore } from "../store/conversation-store.js";
import { openDatabase } from "../store/database.js";
import { startIdleCheckpoints } from "../store/idle-checkpoints.js";
import { chooseSystemActions } from "../system/device-system-actions.js";
import type { LogRing } from "../system/log-ring.js";
import { StatusSampler } from "../system/status-sampler.js";
import type { SystemActions } from "../system/system-actions.js";
import { decideRuntime, modelSpecFor, type RuntimeSettings, type StoreResolver } from "./agent-runtime.js";

/** HTTPS port on a device (image/systemd/clawbox-agent.service: nftables maps 443 → 8443). */
export const DEVICE_HTTPS_PORT = 8443;

/** The web app built by vite (`webui/dist` beside `agent/` in the repository and in a release). */
export const DEFAULT_WEB_ROOT = join(REPO_ROOT, "webui", "dist");

/** The model languages a wizard language asks for: a Chinese reader needs a model that writes Chinese. */
export function setupFlowLanguages(language: string | null): string[] {
  return language === "zh-CN" ? ["zh"] : [];
}

/** Present on a clawbox device (the image installs it); "auto" system actions then act on the device. */
const DEVICE_CONFIG_DIR = "/etc/clawbox";

/** What `startAgent` needs; the CLI passes the real components, tests may pass small ones. */
export interface StartAgentOptions {
  /** Effective config (file + flags already applied). */
  config: ClawboxConfig;
  /** A boot-partition seed's result files; default /etc/clawbox/seed-admin.json and seed-error. */
  seedFiles?: SeedFiles;
  logger: FastifyBaseLogger;
  /** Measures this machine (hardware/detect.ts). */
  detect: () => Promise<HardwareReport>;
  /** Device profiles (hardware/profiles.ts loadProfiles); [] → generic settings. */
  profiles: DeviceProfile[];
  /** Creates the engine (inference/engine.ts createInferenceService). */
  createInference: () => InferenceService;
  /** Finds a catalogue id's file in the model store (models/store.ts ModelStore.resolve). */
  resolveStoreId: StoreResolver;
  /**
   * Picks a model from the store when the config names none (models/default-model.ts pickDefaultModel:
   * the recommended one, else the newest). Absent or null → start without a model.
   */
  defaultModel?: (report: HardwareReport, profileId: string | null) => Promise<DefaultModel | null>;
  /** The model store (pulls from the wizard and the dashboard); absent → pulls answer with an error. */
  modelStore?: ModelStore;
  /** Hardware + recommendation for the wizard's model step (built by the CLI from the detected report). */
  hardwareOverview?: (
    report: HardwareReport,
    profileId: string | null,
    /** ISO 639-1 codes implied by the wizard's language (["zh"] for zh-CN), preferred in the ranking. */
    languages: string[],
  ) => Promise<HardwareOverview>;
  /** Built web app folder (default: webui/dist in the repository / release). */
  webRoot?: string;
  /** Recent log lines for the dashboard (the CLI tees the logger into it). */
  logRing?: LogRing;
  /** Device changes (default: config.system.actions; "auto" → device when /etc/clawbox exists). */
  system?: SystemActions;
  /** Config file text for the dashboard's backup. */
  configText?: () => string | null;
  /**
   * The config file the agent was started with: bridges added/changed/removed in the dashboard or the
   * wizard are saved there. Absent/null → such changes apply until the agent stops, unsaved.
   */
  configFile?: string | null;
  /** Time source of the job scheduler (default: the system clock; tests pass a ManualClock). */
  clock?: Clock;
  /** Restarts the agent process (the CLI exits for systemd to restart it); a staged restore needs it. */
  requestRestart?: () => void;
}

export interface RunningAgent {
  app: FastifyInstance;
  inference: InferenceService;
  /** Base URL with the real port (also when the config asked for port 0). */
  url: string;
  port: number;
  dataDir: string;
  runtime: RuntimeSettings;
  /** The model loaded at start, or null (healthz answers 503 until one is loaded). */
  model: LoadedModelInfo | null;
  /** The setup code while setup is unfinished (print it), else null. */
  setupCode: string | null;
  /** SHA-256 fingerprint of the TLS certificate when serving HTTPS, else null. */
  tlsFingerprint: string | null;
  /** The messaging bridges of `config.bridges`; `apply(newMap)` restarts only the changed ones. */
  bridges: BridgeManager;
  /** The job scheduler (retention, SQLite maintenance, backups), started. */
  scheduler: Scheduler;
  /**
   * Graceful stop: stops accepting connections, lets in-flight requests finish (streams end when their
   * generation does), then frees the model and closes the database. Safe to call twice.
   */
  close(): Promise<void>;
}

/**
 * Starts the agent: data dir, SQLite store, API token, hardware → profile → runtime settings, the model
 * (`config.model`, if any), then the HTTP server on `config.server`. Throws UserError when the port is in
 * use, the model cannot be loaded, or the data dir is unusable; whatever was opened is closed again.
 */
export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const { config, logger } = opts;
  const dataDir = configDataDir(config);
  const db = openDatabase(dataDir);
  const cleanups: (() => Promise<void> | void)[] = [
    () => {
      db.close();
    },
  ];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  };
  // WAL checkpoints (the only fsync of a commit) run when the database is quiet, not inside a reply.
  cleanups.push(startIdleCheckpoints(db));
  try {
    const deviceKey = loadDeviceKey(dataDir);
    logger.info({ source: deviceKey.source }, "device key for secrets at rest");
    const token = ensureApiToken(dataDir);
    // Bridge secrets: opened for the adapters; plain ones in the config file are sealed in place now.
    const bridgeSecrets = sealedBridges(deviceKey.key, config.bridges ?? {}, opts.configFile ?? null, logger);
    const store = new ConversationStore(db);
    const report = await opts.detect();
    const runtime = decideRuntime(report, opts.profiles, config.inference);
    logger.info({ profile: runtime.profile, why: runtime.profileWhy, runtime }, "runtime settings");

    // Every prompt goes through the backend chain (local engine, then remote backends when allowed).
    const inference = createBackendChain({
      local: opts.createInference(),
      backends: config.backends,
      routing: config.routing,
      logger,
    });
    cleanups.push(() => inference.close());
    const resolveModel = async (ref: string) =>
      remoteLoadSpec(ref) ?? modelSpecFor(ref, runtime, opts.resolveStoreId);
    let model: LoadedModelInfo | null = null;
    if (config.model) model = await inference.load(await resolveModel(config.model));
    else {
      // the model chosen in the setup wizard wins over the default recommendation
      const pick =
        startupModel(new SettingsStore(db)) ?? (await opts.defaultModel?.(report, runtime.profile));
      if (pick) {
        logger.info({ path: pick.path, why: pick.why }, "no model configured: loading one from the store");
        const tuned: RuntimeSettings = {
          ...runtime,
          contextSize: runtime.contextSizeConfigured
            ? runtime.contextSize
            : (pick.contextSize ?? runtime.contextSize),
          gpuLayers: config.inference.gpuLayers ?? pick.gpuLayers ?? runtime.gpuLayers,
        };
        model = await inference.load(await modelSpecFor(pick.path, tuned, opts.resolveStoreId));
      }
    }

    const system =
      opts.system ??
      chooseSystemActions(config.system?.actions ?? "auto", dataDir, existsSync(DEVICE_CONFIG_DIR));
    const modelStore = opts.modelStore;
    const { services: setup, code: setupCode } = createSetupServices({
      db,
      dataDir,
      system,
      allowFrom: config.setup?.allowFrom,
      pull: (ref, pullOpts) => {
        if (!modelStore) throw new UserError("this agent has no model store", { code: ErrorCode.NO_STORE });
        return modelStore.pull(ref, pullOpts);
      },
      secureCookies: false,
      deviceKey: deviceKey.key,
      seed: opts.seedFiles ?? { admin: SEED_ADMIN_FILE, error: SEED_ERROR_FILE },
      hardware: opts.hardwareOverview
        ? () =>
            opts.hardwareOverview?.(
              report,
              runtime.profile,
              setupFlowLanguages(setup.flow.status().language),
            ) as Promise<HardwareOverview>
        : undefined,
      // The wizard's model (already stored, or when its download is done) is written to the config file's
      // `model` and loaded; see setup/model-choice.ts.
      modelChoice: {
        configFile: opts.configFile ?? null,
        resolve: async (ref) => opts.resolveStoreId(ref),
        load: async (path) => inference.load(await resolveModel(path)),
      },
      onModelDownloaded: async (stored) => {
        // After setup a pull from the dashboard loads only when no model is loaded; it does not switch.
        if (inference.model && setupFlowDone()) return;
        logger.info({ path: stored.path }, "loading the downloaded model");
        await inference.load(await resolveModel(stored.path));
      },
    });
    const setupFlowDone = () => setup.flow.isConfigured();
    const backups = new BackupService({
      db,
      dataDir,
      configFile: opts.configFile ?? null,
      dir: backupDir(config, dataDir),
      keep: config.jobs.backup.keep,
    });
    const scheduler = createAgentScheduler({
      db,
      dataDir,
      jobs: config.jobs,
      backups,
      clock: opts.clock ?? SYSTEM_CLOCK,
      deviceTimezone: () => setup.device.identity()?.timezone ?? null,
      log: logger,
    });
    scheduler.start();
    // stopped before the database closes (cleanups run in reverse): a running backup finishes first
    cleanups.push(() => scheduler.stop());
    const reminders = createReminders({
      db,
      log: logger,
      outlet: (id) => bridges.runner(id),
      timezone: () => setup.device.identity()?.timezone,
    });
    const bridges = new BridgeManager({
      db,
      inference,
      conversations: store,
      log: logger,
      commands: reminders.commands,
      // Reminders that fell due while a bridge was down (or the agent was off) go out as it connects.
      onConnected: () => void reminders.scheduler.tick(),
    });
    await bridges.apply(bridgeSecrets.open);
    cleanups.push(() => bridges.close());
    reminders.scheduler.start();
    cleanups.push(() => reminders.scheduler.stop());
    const tls = loadTls(config);
    setup.secureCookies = tls !== null;
    let chatRequests = 0;
    const sampler = new StatusSampler(
      () => inference.stats(),
      () => chatRequests,
    );
    sampler.start();
    cleanups.push(() => sampler.stop());

    const tokenRef = { current: token };
    const serverDeps = {
      inference,
      store,
      token,
      tokenRef,
      logger,
      config,
      resolveModel,
      statusInfo: () => ({ profile: runtime.profile, runtime, dataDir, jobs: scheduler.list() }),
      operations: { scheduler, backups, requestRestart: opts.requestRestart },
      setup,
      dashboard: {
        sampler,
        logs: opts.logRing,
        models: modelStore,
        rotateToken: () => rotateApiToken(dataDir),
        configText: opts.configText,
      },
      webRoot: opts.webRoot ?? DEFAULT_WEB_ROOT,
      audit: new AuditLog(db),
      reminders,
      bridges: {
        manager: bridges,
        configStore: new BridgeConfigStore(
          opts.configFile ?? null,
          bridges,
          bridgeSecrets.open,
          bridgeSecrets.seal,
        ),
        pairing: new PairingStore(db),
      },
    };
    const countChats = async (request: FastifyRequest) => {
      if (request.url.startsWith("/v1/chat/completions")) chatRequests++;
    };
    const { host, port } = config.server;
    // With TLS: HTTPS on tls.port for everyone, plain HTTP on server.port for this machine only (the CLI)
    // with everyone else redirected to HTTPS. Without: one plain-HTTP server (development).
    const app = buildServer({ ...serverDeps, https: tls ? { cert: tls.cert, key: tls.key } : undefined });
    app.addHook("onResponse", countChats);
    cleanups.push(async () => {
      await setup.downloads.cancel();
      await app.close();
    });
    let httpApp: FastifyInstance | null = null;
    if (tls) {
      httpApp = buildServer({
        ...serverDeps,
        onRequest: httpsRedirect(config.server.tls?.publicPort ?? 443),
      });
      httpApp.addHook("onResponse", countChats);
      const plain = httpApp;
      cleanups.push(() => plain.close());
    }
    await listen(app, host, tls ? (config.server.tls?.port ?? DEVICE_HTTPS_PORT) : port);
    if (httpApp) await listen(httpApp, host, port);
    const realPort = (app.server.address() as AddressInfo).port;
    const url = tls ? formatUrl(host, realPort).replace(/^http:/, "https:") : formatUrl(host, realPort);
    // The CLI finds the agent through this file: the loopback HTTP port when there are two servers.
    const cliUrl = httpApp ? formatUrl(host, (httpApp.server.address() as AddressInfo).port) : url;
    writeAgentUrl(dataDir, cliUrl);
    cleanups.push(() => removeAgentUrl(dataDir, cliUrl));

    let closing: Promise<void> | null = null;
    return {
      app,
      inference,
      url,
      port: realPort,
      dataDir,
      runtime,
      model,
      setupCode,
      tlsFingerprint: tls?.fingerprint ?? null,
      bridges,
      scheduler,
      close: () => {
        closing ??= cleanup();
        return closing;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new UserError(`port ${port} is in use`, {
        code: ErrorCode.PORT_IN_USE,
        fix: "pass --port with a free port (or set server.port), or stop the other process",
      });
    }
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
      throw new UserError(`cannot listen on host ${host}: no such address on this machine`, {
        code: ErrorCode.HOST_UNAVAILABLE,
        fix: "pass --host 127.0.0.1 (this machine only) or 0.0.0.0 (all interfaces)",
      });
    }
    if (code === "EACCES") {
      throw new UserError(`not allowed to listen on port ${port}`, {
        code: ErrorCode.PORT_DENIED,
        fix: "use a port above 1023 (e.g. --port 8080) or grant CAP_NET_BIND_SERVICE",
      });
    }
    throw err;
  }
}
