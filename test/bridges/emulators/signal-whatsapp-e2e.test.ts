import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BridgeRunner } from "../../../agent/src/bridges/bridge-runner.js";
import { measure } from "../../../agent/src/bridges/chunker.js";
import { SignalAdapter } from "../../../agent/src/bridges/signal/adapter.js";
import type { ChannelAdapter } from "../../../agent/src/bridges/types.js";
import { WhatsAppAdapter } from "../../../agent/src/bridges/whatsapp/adapter.js";
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
import { EchoInference } from "../kit/echo-inference.js";
import { SignalCliEmulator, type SignalUser } from "./signal-cli.js";
import { WhatsAppCloudEmulator } from "./whatsapp-cloud.js";

/**
 * Signal and WhatsApp end to end: emulator ← our adapter (plain HTTP) ← BridgeRunner (router, access policy
 * with pairing, outbox in SQLite) → the real tiny test model. Senders: "1001" unknown (pairing), "1002" and
 * "1003" allowlisted.
 */

const log = createLogger({ level: "silent" });

interface Driver {
  type: string;
  limit: number;
  unit: "chars" | "bytes";
  /** Periodic outbox flush of the runner; Signal's is long, so its redelivery must come from the reconnect. */
  flushIntervalMs: number;
  start(): Promise<void>;
  /** After the runner connected (WhatsApp: point the emulator's webhooks at the adapter's port). */
  connected(adapter: ChannelAdapter): void;
  stop(): Promise<void>;
  adapter(): ChannelAdapter;
  senderId(sender: string): string;
  dm(sender: string, text: string): Promise<void>;
  replies(sender: string): string[];
  /** The connection breaks while the reply is being generated; the reply's send fails. */
  cut(): void;
  /** The connection comes back. */
  restore(): void;
  /** Inbound messages stop during the cut (Signal's event stream) and must arrive once after it. */
  inboundCut: boolean;
}

function signal(): Driver {
  const emu = new SignalCliEmulator();
  const user = (s: string): SignalUser => ({
    uuid: `00000000-0000-4000-8000-00000000${s}`,
    number: `+49151000${s}`,
    name: `User ${s}`,
  });
  return {
    type: "signal",
    limit: 2000,
    unit: "bytes",
    flushIntervalMs: 600_000,
    start: async () => void (await emu.start()),
    connected: () => {},
    stop: () => emu.stop(),
    adapter: () =>
      new SignalAdapter(
        { type: "signal", url: emu.url, account: emu.account, dmPolicy: "pairing" },
        { id: "signal", log },
        { backoff: { baseMs: 20, maxMs: 200 } },
      ),
    senderId: (s) => user(s).uuid,
    dm: async (s, text) => void emu.userSends(user(s), text),
    replies: (s) => emu.sentTo(user(s).uuid).map((m) => m.text),
    // The daemon's stream drops and stays down; the reply's send is cut before signal-cli got it.
    cut: () => {
      emu.holdStreams();
      emu.dropStreams();
      emu.failNext("send", { kind: "cut-before" });
    },
    restore: () => emu.releaseStreams(),
    inboundCut: true,
  };
}

function whatsapp(): Driver {
  const emu = new WhatsAppCloudEmulator();
  const waId = (s: string) => `49151000${s}`;
  return {
    type: "whatsapp",
    limit: 4096,
    unit: "chars",
    flushIntervalMs: 1_000,
    start: async () => void (await emu.start()),
    connected: (adapter) => {
      emu.webhookUrl = `http://127.0.0.1:${(adapter as WhatsAppAdapter).address()?.port}/webhook`;
    },
    stop: () => emu.stop(),
    adapter: () =>
      new WhatsAppAdapter(
        {
          type: "whatsapp",
          dmPolicy: "pairing",
          phoneNumberId: emu.phoneNumberId,
          accessToken: emu.accessToken,
          appSecret: emu.appSecret,
          verifyToken: "verify-token-123",
          listenHost: "127.0.0.1",
          listenPort: 0,
          graphApiUrl: emu.graphApiUrl,
        },
        { id: "whatsapp", log },
      ),
    senderId: waId,
    dm: async (s, text) => {
      expect((await emu.userSends(waId(s), text)).status).toBe(200);
    },
    replies: (s) => emu.sentTo(waId(s)).map((m) => m.text),
    // Graph API unreachable for the reply: the send fails on the wire (WhatsApp has no idempotency key,
    // so the cut is before Meta got it); the outbox retries.
    cut: () => emu.failNext({ kind: "cut-before" }),
    restore: () => {},
    inboundCut: false,
  };
}

/** Delegates to the service the current test step chose (the real model or an instant echo). */
class SwitchableInference implements InferenceService {
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

async function until(cond: () => boolean, what: string, ms = 40_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

let llama: Llama;
let model: InferenceService;

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

/** Runs `body` with a started emulator and a connected BridgeRunner around the driver's adapter. */
async function withBridge(
  driver: Driver,
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
    log,
    backoff: { baseMs: 20, maxMs: 200 },
    flushIntervalMs: driver.flushIntervalMs,
  });
  try {
    runner.start();
    await until(() => runner.status().state === "connected", "connected");
    const adapter = runner.adapter();
    if (!adapter) throw new Error("no adapter");
    driver.connected(adapter);
    await body(runner);
  } finally {
    await runner.stop();
    await driver.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.each([
  ["signal", signal],
  ["whatsapp", whatsapp],
] as const)("%s bridge end to end", (_name, makeDriver) => {
  it("pairs, answers with the model, splits at the limit and delivers across a cut exactly once", {
    timeout: 180_000,
  }, async () => {
    const driver = makeDriver();
    const inference = new SwitchableInference(model);
    await withBridge(driver, inference, async (runner) => {
      // 1. Unknown sender: one pairing reply with a code, nothing reaches the model.
      await driver.dm("1001", "hello, who are you?");
      await until(() => driver.replies("1001").length === 1, "pairing reply");
      const code = /\b([A-HJ-NP-Z2-9]{8})\b/.exec(driver.replies("1001")[0] ?? "")?.[1] ?? "";
      expect(code).toHaveLength(8);
      expect(inference.results).toHaveLength(0);

      // 2. Approved: the real model answers; what the platform shows is the model's answer.
      runner.pairing.approve(driver.type, code);
      await driver.dm("1001", "Once upon a time");
      await until(
        () => inference.results.length === 1 && runner.outbox.pending(driver.type).length === 0,
        "answer",
      );
      await until(
        () => squash(driver.replies("1001").slice(1).join(" ")) === squash(inference.results[0]?.text ?? ""),
        "final text",
      );
      expect(squash(inference.results[0]?.text ?? "").length).toBeGreaterThan(0);

      // 3. A long reply is split at the platform's limit (Signal in UTF-8 bytes: "é" is 2), in order.
      const sentence = (i: number) => `Sentence number ${i} tells a little more of the story, café crème.`;
      const count = Math.ceil((driver.limit * 2.5) / sentence(100).length);
      const long = Array.from({ length: count }, (_, i) => sentence(i)).join(" ");
      inference.current = new EchoInference({ reply: () => long, stream: false });
      await driver.dm("1002", "tell me everything");
      await until(() => squash(driver.replies("1002").join(" ")) === squash(long), "all chunks");
      const chunks = driver.replies("1002");
      expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(measure(long, driver.unit) / driver.limit));
      for (const chunk of chunks) expect(measure(chunk, driver.unit)).toBeLessThanOrEqual(driver.limit);

      // 4. The connection breaks while the reply is generated: after it is back the reply arrives once.
      let open!: () => void;
      const gate = new Promise<void>((r) => {
        open = r;
      });
      const ending = new EchoInference({
        reply: () => "The end of the story.",
        stream: false,
        gate: () => gate,
      });
      inference.current = ending;
      await driver.dm("1003", "how does it end?");
      await until(() => ending.requests.length === 1, "generation started");
      driver.cut();
      // Signal: a message sent while the event stream is down comes with the replayed events, once.
      const before1002 = driver.replies("1002").length;
      if (driver.inboundCut) await driver.dm("1002", "are you still there?");
      open();
      await until(() => runner.outbox.pending(driver.type).length === 1, "reply kept in the outbox");
      expect(driver.replies("1003")).toEqual([]);
      driver.restore();
      await until(
        () => driver.replies("1003").length >= 1 && runner.outbox.pending(driver.type).length === 0,
        "delivery after the cut",
      );
      if (driver.inboundCut) {
        await until(
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
    });
  });
});

describe("whatsapp webhooks end to end", () => {
  it("answers a redelivered webhook once, lets no unsigned or forged one reach the model, and gives up on a closed 24-hour window", {
    timeout: 120_000,
  }, async () => {
    const emu = new WhatsAppCloudEmulator();
    const base = whatsapp();
    // Same driver, but with this test's emulator in reach for raw webhook deliveries.
    const driver: Driver = {
      ...base,
      start: async () => void (await emu.start()),
      stop: () => emu.stop(),
      connected: (adapter) => {
        emu.webhookUrl = `http://127.0.0.1:${(adapter as WhatsAppAdapter).address()?.port}/webhook`;
      },
      adapter: () =>
        new WhatsAppAdapter(
          {
            type: "whatsapp",
            dmPolicy: "pairing",
            phoneNumberId: emu.phoneNumberId,
            accessToken: emu.accessToken,
            appSecret: emu.appSecret,
            verifyToken: "verify-token-123",
            listenPort: 0,
            graphApiUrl: emu.graphApiUrl,
          },
          { id: "whatsapp", log },
        ),
    };
    const inference = new SwitchableInference(model);
    const from = driver.senderId("1002");
    await withBridge(driver, inference, async (runner) => {
      expect((await emu.userSends(from, "Once upon a time", { signature: null })).status).toBe(401);
      const forged = await emu.userSends(from, "Once upon a time", { signature: emu.sign("another body") });
      expect(forged.status).toBe(401);
      const { wamid, status } = await emu.userSends(from, "Once upon a time");
      expect(status).toBe(200);
      await until(
        () => inference.results.length === 1 && runner.outbox.pending("whatsapp").length === 0,
        "answer",
      );
      // Meta retries the same notification (e.g. our 200 was lost): the model is not asked again.
      expect(await emu.redeliver(wamid)).toBe(200);
      expect(await emu.redeliver(wamid)).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
      expect(inference.results).toHaveLength(1);
      const texts = emu.sentTo(from).map((m) => m.text);
      expect(squash(texts.join(" "))).toBe(squash(inference.results[0]?.text ?? ""));

      // The 24-hour window is closed (Meta answers 131047): the refusal is recorded once, never retried.
      emu.failNext({ kind: "reengagement" });
      const late = await emu.userSends(from, "Are you still there?");
      const pieceId = `whatsapp/${from}/${late.wamid}/0`;
      await until(() => runner.outbox.get(pieceId)?.status === "failed", "refused reply marked failed");
      const sends = emu.calls.get("messages");
      await new Promise((r) => setTimeout(r, 2500)); // two periodic flushes (flushIntervalMs 1000)
      expect(runner.outbox.get(pieceId)).toMatchObject({ status: "failed", attempts: 1 });
      expect(runner.outbox.get(pieceId)?.lastError).toMatch(/24 hours.*131047/);
      expect(emu.calls.get("messages")).toBe(sends);
      expect(emu.sentTo(from).map((m) => m.text)).toEqual(texts);
    });
  });
});
