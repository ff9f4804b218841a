import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { applyPendingRestore, BackupService } from "../../backup/backup-service.js";
import { defaultConfig } from "../../config/load-config.js";
import type { InferenceService, LoadedModelInfo, ModelLoadSpec } from "../../inference/types.js";
import { ManualClock } from "../../jobs/clock.js";
import { createAgentScheduler } from "../../jobs/create-jobs.js";
import { ModelStore } from "../../models/store.js";
import { PairingStore } from "../../pairing/pairing-store.js";
import { createReminders } from "../../reminders/reminders.js";
import { createSetupServices } from "../../setup/create-setup-services.js";
import type { SeedFiles } from "../../setup/seed-admin.js";
import type { SetupServices } from "../../setup/setup-services.js";
import { AuditLog } from "../../store/audit-log.js";
import { ConversationStore } from "../../store/conversation-store.js";
import { openDatabase } from "../../store/database.js";
import { RecordingSystemActions } from "../../system/recording-system-actions.js";
import { generateApiToken, rotateApiToken } from "../api-token.js";
import { buildServer } from "../build-server.js";

/**
 * An engine stand-in for the setup/dashboard route tests (they never generate): it records loads. The
 * real engine runs in test/api and test/e2e.
 */
export class LoadOnlyInference implements InferenceService {
  model: LoadedModelInfo | null = null;
  async load(spec: ModelLoadSpec): Promise<LoadedModelInfo> {
    this.model = {
      id: spec.id,
      path: spec.path,
      fileBytes: 1,
      contextSize: spec.contextSize,
      threads: spec.threads,
      gpuLayers: 0,
      chatTemplate: "none",
      trainContextSize: 512,
      loadedAt: new Date().toISOString(),
    };
    return this.model;
  }
  async complete(): Promise<never> {
    throw new Error("not used in these tests");
  }
  countTokens(text: string): number {
    return text.length;
  }
  stats() {
    return { queueDepth: 0, activeRequests: 0, tokensGenerated: 0, lastTokensPerSecond: 0 };
  }
  async close(): Promise<void> {}
}

/** One agent's state on disk: data dir + database (reopened by `restart`). */
export interface Kit {
  dataDir: string;
  db: Database;
  app: FastifyInstance;
  setup: SetupServices;
  code: string | null;
  token: string;
  inference: InferenceService;
  /** How often the routes asked for a restart (a staged restore); `restart()` applies it like the CLI. */
  restartRequests: number;
  /** The audit log the server records into. */
  audit: AuditLog;
  /** Closes app + database and builds them again over the same data dir ("restart"). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Cheap scrypt for route tests (the real cost is tested in password.test.ts). */
const CHEAP_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

/** Builds the real server with real setup services over a temp data dir (SQLite, recording system actions). */
export async function makeKit(
  opts: { env?: NodeJS.ProcessEnv; inference?: () => InferenceService; seed?: SeedFiles } = {},
): Promise<Kit> {
  const dataDir = mkdtempSync(join(tmpdir(), "clawbox-setup-"));
  const kit = {} as Kit;
  kit.restartRequests = 0;
  const open = async () => {
    applyPendingRestore(dataDir, null);
    const db = openDatabase(dataDir);
    const store = new ModelStore(join(dataDir, "models"), { catalogue: [], env: opts.env ?? {} });
    const inference = opts.inference?.() ?? new LoadOnlyInference();
    const { services, code } = createSetupServices({
      db,
      dataDir,
      system: new RecordingSystemActions(dataDir),
      pull: (ref, o) => store.pull(ref, o),
      scrypt: CHEAP_SCRYPT,
      ...(opts.seed ? { seed: opts.seed } : {}),
      onModelDownloaded: async (m) => {
        await inference.load({ id: m.name, path: m.path, contextSize: 256, threads: 1, gpuLayers: 0 });
      },
    });
    const token = generateApiToken();
    const config = defaultConfig();
    const backups = new BackupService({
      db,
      dataDir,
      configFile: null,
      dir: join(dataDir, "backups"),
      keep: 3,
    });
    const scheduler = createAgentScheduler({
      db,
      dataDir,
      jobs: config.jobs,
      backups,
      clock: new ManualClock(Date.now()),
      deviceTimezone: () => null,
      log: { info() {}, warn() {} },
    });
    const audit = new AuditLog(db);
    const app = buildServer({
      audit,
      bridges: { pairing: new PairingStore(db) },
      // no bridges run here: reminders are stored and listed, never due for delivery in these tests
      reminders: createReminders({
        db,
        log: pino({ level: "silent" }),
        outlet: () => undefined,
        timezone: () => services.device.identity()?.timezone,
      }),
      inference,
      store: new ConversationStore(db),
      token,
      logger: pino({ level: "silent" }),
      config,
      setup: services,
      operations: {
        scheduler,
        backups,
        requestRestart: () => {
          kit.restartRequests++;
        },
      },
      dashboard: { models: store, rotateToken: () => rotateApiToken(dataDir) },
      resolveModel: async (ref) => ({ id: ref, path: ref, contextSize: 256, threads: 1, gpuLayers: 0 }),
    });
    await app.ready();
    Object.assign(kit, { dataDir, db, app, setup: services, code, token, inference, audit });
  };
  await open();
  kit.restart = async () => {
    await kit.app.close();
    kit.db.close();
    await open();
  };
  kit.close = async () => {
    await kit.setup.downloads.cancel();
    await kit.app.close();
    kit.db.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return kit;
}

/**
 * Runs the wizard's required steps through the setup API (admin `owner` with `password`, device "box" in
 * UTC, finish), as a finished device has them. Throws when setup does not finish.
 */
export async function finishSetup(kit: Kit, password = "purple-tractor-sings"): Promise<void> {
  const headers = { "x-setup-code": kit.code as string };
  const post = (url: string, payload: object) => kit.app.inject({ method: "POST", url, headers, payload });
  await post("/api/setup/admin", { username: "owner", password });
  await post("/api/setup/device", { name: "box", timezone: "UTC" });
  const done = await post("/api/setup/finish", {});
  if (done.statusCode !== 200) throw new Error(`setup did not finish: ${done.body}`);
}
