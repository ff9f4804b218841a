import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import { BridgeManager } from "../../../agent/src/bridges/bridge-manager.js";
import type { BridgeConfig } from "../../../agent/src/bridges/config-schema.js";
import { createInferenceService } from "../../../agent/src/inference/engine.js";
import { createLogger } from "../../../agent/src/log.js";
import { ConversationStore } from "../../../agent/src/store/conversation-store.js";
import { openDatabase } from "../../../agent/src/store/database.js";
import { TEST_MODEL_ID, TEST_THREADS, testModelPath } from "../../support/test-model.js";
import { GatedInference } from "./gated-inference.js";

export { squash, until } from "../../support/until.js";

export interface ModelBridges {
  /** The real test model behind a gate (tests hold a reply mid-generation, read requests/results). */
  inference: GatedInference;
  db: Database;
  manager: BridgeManager;
  /** Stops the bridges, closes the database and the model, deletes the data dir. Safe after a failed start. */
  close(): Promise<void>;
}

/**
 * The agent's bridge stack for one end-to-end test: the real tiny test model (context 256 tokens,
 * TEST_THREADS) behind a GatedInference, a fresh SQLite data dir, and a BridgeManager with test-speed
 * reconnects (backoff 50–200 ms) and outbox flushes (every 200 ms), running `bridges`.
 * Throws what loading the model or applying the bridges throws (after cleaning up).
 */
export async function startModelBridges(bridges: Record<string, BridgeConfig>): Promise<ModelBridges> {
  let llama: Llama | undefined;
  let inference: GatedInference | undefined;
  let db: Database | undefined;
  let manager: BridgeManager | undefined;
  const dir = mkdtempSync(join(tmpdir(), "clawbox-bridge-e2e-"));
  const close = async () => {
    await manager?.close();
    db?.close();
    await inference?.close();
    await llama?.dispose();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 0 });
    inference = new GatedInference(createInferenceService({ llama }));
    await inference.load({
      path: await testModelPath(),
      id: TEST_MODEL_ID,
      contextSize: 256,
      threads: TEST_THREADS,
      gpuLayers: 0,
    });
    db = openDatabase(dir);
    manager = new BridgeManager({
      db,
      inference,
      conversations: new ConversationStore(db),
      log: createLogger({ level: "silent" }),
      backoff: { baseMs: 50, maxMs: 200 },
      flushIntervalMs: 200,
    });
    await manager.apply(bridges);
    return { inference, db, manager, close };
  } catch (err) {
    await close();
    throw err;
  }
}
