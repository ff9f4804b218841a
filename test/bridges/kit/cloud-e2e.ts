import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import { afterAll, beforeAll, expect } from "vitest";
import { BridgeRunner } from "../../../agent/src/bridges/bridge-runner.js";
import { measure } from "../../../agent/src/bridges/chunker.js";
import type { ChannelAdapter } from "../../../agent/src/bridges/types.js";
import { createInferenceService } from "../../../agent/src/inference/engine.js";
import type {
  CompletionRequest,
  CompletionResult,
  InferenceService,
} from "../../../agent/src/inference/types.js";
import { createLogger } from "../../../agent/src/log.js";
import { ConversationStore } from "../../../agent/src/store/conversation-store.js";
import { openDatabase } from "../../../agent/src/store/database.js";
import { TEST_MODEL_ID, TEST_THREADS, testModelPath } from "../../support/test-model.js";
import { EchoInference } from "./echo-inference.js";
import { squash, until } from "./model-bridges.js";

/**
 * What the cloud-platform end-to-end tests (test/bridges/emulators/*-e2e.test.ts) share: the real test model
 * loaded once per file, a BridgeRunner around one emulated platform, and the first three steps every platform
 * must pass (pairing, a model answer after approval, a long reply split at the platform's limit).
 * Senders: "1001" unknown (pairing), "1002" and "1003" allowlisted.
 */

export const silentLog = createLogger({ level: "silent" });

/** Patience for one step (the real model on a shared 2-core machine). */
const STEP_MS = 40_000;
export const waitFor = (cond: () => boolean, what: string): Promise<boolean> => until(cond, what, STEP_MS);

/** One emulated platform as the shared steps see it. */
export interface PlatformDriver {
  type: string;
  /** The platform's message limit, in `unit` (characters unless said otherwise). */
  limit: number;
  unit?: "chars" | "bytes";
  /** The runner's periodic outbox flush, ms (default 2,000). */
  flushIntervalMs?: number;
  start(): Promise<void>;
  /** Called once the runner is connected (e.g. to point an emulator's webhooks at the adapter). */
  connected?(adapter: ChannelAdapter): void;
  stop(): Promise<void>;
  adapter(): ChannelAdapter;
  senderId(sender: string): string;
  dm(sender: string, text: string): void | Promise<void>;
  /** Final texts of the bot's messages in that sender's DM, in order. */
  replies(sender: string): string[];
}

/** Delegates to the service the current test step chose (the real model or an instant echo). */
export class SwitchableInference implements InferenceService {
  current: InferenceService;
  readonly results: CompletionResult[] = [];
  constructor(initial: InferenceService) {
    this.current = initial;
  }
  get model() {
    return this.current.model;
  }
  load(spec: Parameters<InferenceService["load"]>[0]) {
    return this.current.load(spec);
  }
  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const result = await this.current.complete(req);
    this.results.push(result);
    return result;
  }
  countTokens(text: string) {
    return this.current.countTokens(text);
  }
  stats() {
    return this.current.stats();
  }
  close() {
    return this.current.close();
  }
}

/**
 * Registers beforeAll/afterAll hooks that load the real test model (context 256, TEST_THREADS) once for the
 * calling test file and free it; returns a getter for the loaded service (valid inside tests).
 */
export function useTestModel(): () => InferenceService {
  let llama: Llama | undefined;
  let model: InferenceService | undefined;
  beforeAll(async () => {
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 0 });
    model = createInferenceService({ llama });
    await model.load({
      path: await testModelPath(),
      id: TEST_MODEL_ID,
      contextSize: 256,
      threads: TEST_THREADS,
      gpuLayers: 0,
    });
  });
  afterAll(async () => {
    await model?.close();
    await llama?.dispose();
  });
  return () => {
    if (!model) throw new Error("the test model is not loaded (call useTestModel at the top of the file)");
    return model;
  };
}

/**
 * Runs `body` with the driver's emulator started and a connected BridgeRunner (dmPolicy pairing, "1002" and
 * "1003" allowlisted, fast backoff, a fresh SQLite data dir) around the driver's adapter; tears all down after.
 */
export async function withBridge(
  driver: PlatformDriver,
  inference: InferenceService,
  body: (runner: BridgeRunner) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `clawbox-${driver.type}-e2e-`));
  const db: Database = openDatabase(dir);
  await driver.start();
  const runner = new BridgeRunner({
    id: driver.type,
    config: {
      type: driver.type,
      dmPolicy: "pairing",
      allowFrom: [driver.senderId("1002"), driver.senderId("1003")],
    },
    createAdapter: async () => driver.adapter(),
    db,
    inference,
    conversations: new ConversationStore(db),
    log: silentLog,
    backoff: { baseMs: 20, maxMs: 200 },
    flushIntervalMs: driver.flushIntervalMs ?? 2_000,
  });
  try {
    runner.start();
    await waitFor(() => runner.status().state === "connected", "connected");
    const adapter = runner.adapter();
    if (!adapter) throw new Error("no adapter");
    driver.connected?.(adapter);
    await body(runner);
  } finally {
    await runner.stop();
    await driver.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Steps 1–3 of every platform's end-to-end test: an unknown sender gets one pairing reply with a code and the
 * model gets nothing; after approval the real model's answer is what the platform shows; a reply ~2.5× the
 * limit (with "é", so bytes ≠ characters) arrives split at the limit, in order, losing nothing.
 */
export async function pairAnswerAndSplit(
  driver: PlatformDriver,
  runner: BridgeRunner,
  inference: SwitchableInference,
): Promise<void> {
  await driver.dm("1001", "hello, who are you?");
  await waitFor(() => driver.replies("1001").length === 1, "pairing reply");
  const code = /\b([A-HJ-NP-Z2-9]{8})\b/.exec(driver.replies("1001")[0] ?? "")?.[1] ?? "";
  expect(code).toHaveLength(8);
  expect(inference.results).toHaveLength(0);

  runner.pairing.approve(driver.type, code);
  await driver.dm("1001", "Once upon a time");
  await waitFor(
    () => inference.results.length === 1 && runner.outbox.pending(driver.type).length === 0,
    "answer",
  );
  await waitFor(
    () => squash(driver.replies("1001").slice(1).join(" ")) === squash(inference.results[0]?.text ?? ""),
    "final text",
  );
  expect(squash(inference.results[0]?.text ?? "").length).toBeGreaterThan(0);

  const unit = driver.unit ?? "chars";
  const sentence = (i: number) => `Sentence number ${i} tells a little more of the story, café crème.`;
  const count = Math.ceil((driver.limit * 2.5) / sentence(100).length);
  const long = Array.from({ length: count }, (_, i) => sentence(i)).join(" ");
  inference.current = new EchoInference({ reply: () => long, stream: false });
  await driver.dm("1002", "tell me everything");
  await waitFor(() => squash(driver.replies("1002").join(" ")) === squash(long), "all chunks").catch(
    (e: Error) => {
      const got = driver.replies("1002");
      throw new Error(
        `${e.message}: ${got.length} chunks of ${got.map((c) => measure(c, unit)).join("/")} ${unit}`,
      );
    },
  );
  const chunks = driver.replies("1002");
  expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(measure(long, unit) / driver.limit));
  for (const chunk of chunks) expect(measure(chunk, unit)).toBeLessThanOrEqual(driver.limit);
}

/**
 * A reply held at generation until the returned `open()`: for cutting the connection while a reply is
 * being made. `service.requests` shows when generation started.
 */
export function gatedEnding(text = "The end of the story."): { service: EchoInference; open: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  return { service: new EchoInference({ reply: () => text, stream: false, gate: () => gate }), open };
}

/** A platform whose connection can break while a reply is being generated (step 4 of the e2e tests). */
export interface CuttableDriver extends PlatformDriver {
  /** The connection breaks while the reply is being generated; the reply's send fails. */
  cut(): void;
  /** The connection comes back. */
  restore(): void;
  /** Inbound messages stop during the cut (an event stream / long connection) and must arrive once after it. */
  inboundCut: boolean;
  /**
   * The platform took the reply but its answer was lost (Feishu: the retry carries the same uuid, so the
   * platform shows it once). Default false: the cut is before the platform got it.
   */
  acceptedBeforeCut?: boolean;
}

/**
 * Step 4 of every cloud platform's end-to-end test: the connection breaks while "1003"'s reply is generated
 * (and, where inbound stops too, "1002" writes during the cut); after it is back each reply arrives exactly
 * once and the model was asked once per message.
 */
export async function cutMidReplyOnce(
  driver: CuttableDriver,
  runner: BridgeRunner,
  inference: SwitchableInference,
): Promise<void> {
  const { service: ending, open } = gatedEnding();
  inference.current = ending;
  await driver.dm("1003", "how does it end?");
  await waitFor(() => ending.requests.length === 1, "generation started");
  driver.cut();
  const before1002 = driver.replies("1002").length;
  if (driver.inboundCut) await driver.dm("1002", "are you still there?");
  open();
  await waitFor(() => {
    const pending = runner.outbox.pending(driver.type);
    return pending.length === 1 && (pending[0]?.attempts ?? 0) >= 1;
  }, "reply kept in the outbox after a failed send");
  expect(driver.replies("1003")).toEqual(driver.acceptedBeforeCut ? ["The end of the story."] : []);
  driver.restore();
  await waitFor(
    () => driver.replies("1003").length >= 1 && runner.outbox.pending(driver.type).length === 0,
    "delivery after the cut",
  );
  if (driver.inboundCut) {
    await waitFor(
      () => driver.replies("1002").length > before1002,
      "answer to the message sent during the cut",
    );
  }
  await new Promise((r) => setTimeout(r, 300));
  expect(driver.replies("1003")).toEqual(["The end of the story."]);
  expect(driver.replies("1002").slice(before1002)).toEqual(
    driver.inboundCut ? ["The end of the story."] : [],
  );
  expect(ending.requests).toHaveLength(driver.inboundCut ? 2 : 1);
}

/**
 * Steps 1–4 for one platform: its emulator and a connected BridgeRunner around a fresh driver, then pairing,
 * the model's answer, the split at the limit and the cut mid-reply delivered once (what every cloud bridge's
 * end-to-end test runs).
 */
export async function pairAnswerSplitAndCut(
  makeDriver: () => CuttableDriver,
  model: InferenceService,
): Promise<void> {
  const driver = makeDriver();
  const inference = new SwitchableInference(model);
  await withBridge(driver, inference, async (runner) => {
    await pairAnswerAndSplit(driver, runner, inference);
    await cutMidReplyOnce(driver, runner, inference);
  });
}
