import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BridgeRunner } from "../../../agent/src/bridges/bridge-runner.js";
import { DiscordAdapter } from "../../../agent/src/bridges/discord/adapter.js";
import { MatrixAdapter } from "../../../agent/src/bridges/matrix/adapter.js";
import { SlackAdapter } from "../../../agent/src/bridges/slack/adapter.js";
import { TelegramAdapter } from "../../../agent/src/bridges/telegram/adapter.js";
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
import { EchoInference } from "../kit/echo-inference.js";
import { DiscordApiEmulator } from "./discord-api.js";
import { MatrixHomeserverEmulator } from "./matrix-homeserver.js";
import { SlackApiEmulator } from "./slack-api.js";
import { TelegramBotApiEmulator } from "./telegram-bot-api.js";

/**
 * Each cloud bridge end to end: emulator ← real client library ← our adapter ← BridgeRunner (router, access
 * policy with pairing, outbox in SQLite) → the real tiny test model. Senders: "1001" unknown (pairing),
 * "1002" and "1003" allowlisted.
 */

const log = createLogger({ level: "silent" });
const SENDERS = ["1001", "1002", "1003"] as const;

/** What the test needs from one platform, whatever its ids look like. */
interface Driver {
  type: string;
  limit: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  adapter(): ChannelAdapter;
  senderId(sender: string): string;
  dm(sender: string, text: string): void;
  /** Final texts of the bot's messages in that sender's DM, in order. */
  replies(sender: string): string[];
  /** The next sends fail on the wire (transiently), as when the network drops mid-reply. */
  cutNextSends(): void;
}

function telegram(): Driver {
  const emu = new TelegramBotApiEmulator();
  return {
    type: "telegram",
    limit: 4096,
    start: async () => void (await emu.start()),
    stop: () => emu.stop(),
    adapter: () =>
      new TelegramAdapter(
        { type: "telegram", token: emu.token, apiRoot: emu.apiRoot, dmPolicy: "pairing" },
        { id: "tg", log },
      ),
    senderId: (s) => s,
    dm: (s, text) => void emu.userSends({ chatId: Number(s), fromId: Number(s), text }),
    replies: (s) => emu.sentTo(Number(s)).map((m) => m.text),
    // Cut before Telegram got it (Telegram has no idempotency key for sendMessage).
    cutNextSends: () => emu.failNext("sendMessage", { kind: "cut" }),
  };
}

function discord(): Driver {
  const emu = new DiscordApiEmulator();
  return {
    type: "discord",
    limit: 2000,
    start: async () => void (await emu.start()),
    stop: () => emu.stop(),
    adapter: () =>
      new DiscordAdapter(
        { type: "discord", token: emu.token, apiBase: emu.apiBase, dmPolicy: "pairing" },
        { id: "dc", log },
      ),
    senderId: (s) => `90${s}`,
    dm: (s, text) => void emu.userSends({ channelId: `50${s}`, authorId: `90${s}`, content: text }),
    replies: (s) => emu.sentTo(`50${s}`).map((m) => m.content),
    // Discord got the message but the response is lost: the outbox retry must not post it twice.
    cutNextSends: () => emu.failNext("createMessage", { kind: "cut-after" }),
  };
}

function slack(): Driver {
  const emu = new SlackApiEmulator();
  return {
    type: "slack",
    limit: 4000,
    start: async () => void (await emu.start()),
    stop: () => emu.stop(),
    adapter: () =>
      new SlackAdapter(
        {
          type: "slack",
          botToken: emu.botToken,
          appToken: emu.appToken,
          apiUrl: emu.apiUrl,
          dmPolicy: "pairing",
        },
        { id: "sl", log },
      ),
    senderId: (s) => `U${s}`,
    dm: (s, text) => void emu.userSends({ channel: `D${s}`, user: `U${s}`, text }),
    replies: (s) => emu.sentTo(`D${s}`).map((m) => m.text),
    // Cut before Slack got them (no idempotency key on chat.postMessage); web-api tries 3 times.
    cutNextSends: () => {
      for (let i = 0; i < 3; i++) emu.failNext("chat.postMessage", { kind: "cut-before" });
    },
  };
}

function matrix(): Driver {
  const user = (s: string) => `@u${s}:emulated.test`;
  const room = (s: string) => `!dm${s}:emulated.test`;
  const emu = new MatrixHomeserverEmulator(
    SENDERS.map((s) => ({ roomId: room(s), members: [user(s), "@clawbox:emulated.test"] })),
  );
  return {
    type: "matrix",
    limit: 16_000,
    start: async () => void (await emu.start()),
    stop: () => emu.stop(),
    adapter: () =>
      new MatrixAdapter(
        {
          type: "matrix",
          homeserverUrl: emu.baseUrl,
          userId: emu.botUserId,
          accessToken: emu.accessToken,
          dmPolicy: "pairing",
        },
        { id: "mx", log },
      ),
    senderId: user,
    dm: (s, text) => void emu.userSends(room(s), user(s), text),
    replies: (s) => emu.sentTo(room(s)).map((m) => m.body),
    // The homeserver stored the event but the response is lost: the same txnId must not post twice.
    cutNextSends: () => emu.failNext("send", { kind: "cut-after" }),
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

describe.each([
  ["telegram", telegram],
  ["discord", discord],
  ["slack", slack],
  ["matrix", matrix],
] as const)("%s bridge end to end", (_name, makeDriver) => {
  it("pairs, answers with the model, splits at the limit and delivers across a cut exactly once", {
    timeout: 180_000,
  }, async () => {
    const driver = makeDriver();
    const dir = mkdtempSync(join(tmpdir(), `clawbox-${driver.type}-e2e-`));
    const db: Database = openDatabase(dir);
    const inference = new SwitchableInference(model);
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
      // The outbox retry after the cut comes from this periodic flush (no reconnect happens).
      flushIntervalMs: 2_000,
    });
    try {
      runner.start();
      await until(() => runner.status().state === "connected", "connected");

      // 1. Unknown sender: one pairing reply with a code, nothing reaches the model.
      driver.dm("1001", "hello, who are you?");
      await until(() => driver.replies("1001").length === 1, "pairing reply");
      const code = /\b([A-HJ-NP-Z2-9]{8})\b/.exec(driver.replies("1001")[0] ?? "")?.[1] ?? "";
      expect(code).toHaveLength(8);
      expect(inference.results).toHaveLength(0);

      // 2. Approved: the real model answers; what the platform shows is the model's answer.
      runner.pairing.approve(driver.type, code);
      driver.dm("1001", "Once upon a time");
      await until(
        () => inference.results.length === 1 && runner.outbox.pending(driver.type).length === 0,
        "answer",
      );
      await until(
        () => squash(driver.replies("1001").slice(1).join(" ")) === squash(inference.results[0]?.text ?? ""),
        "final text",
      );
      expect(squash(inference.results[0]?.text ?? "").length).toBeGreaterThan(0);

      // 3. A long reply is split at this platform's limit, in order, losing nothing.
      // About 2.5× the limit: 3 pieces. (More than 10 pieces would trip the outbox ordering noted in the report.)
      const sentence = (i: number) => `Sentence number ${i} tells a little more of the story.`;
      const count = Math.ceil((driver.limit * 2.5) / sentence(100).length);
      const long = Array.from({ length: count }, (_, i) => sentence(i)).join(" ");
      inference.current = new EchoInference({ reply: () => long, stream: false });
      driver.dm("1002", "tell me everything");
      await until(() => squash(driver.replies("1002").join(" ")) === squash(long), "all chunks").catch(
        (e: Error) => {
          const got = driver.replies("1002");
          const a = squash(got.join(" "));
          const b = squash(long);
          let i = 0;
          while (i < a.length && a[i] === b[i]) i++;
          const pend = JSON.stringify(
            runner.outbox.pending(driver.type).map((p) => ({ ...p, text: p.text.length })),
          );
          throw new Error(
            `${e.message}: ${got.length} chunks of ${got.map((c) => c.length).join("/")} chars; diff at ${i}: ${JSON.stringify(a.slice(i - 20, i + 40))} vs ${JSON.stringify(b.slice(i - 20, i + 40))}; pending ${pend}`,
          );
        },
      );
      const chunks = driver.replies("1002");
      expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(long.length / driver.limit));
      for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(driver.limit);

      // 4. The connection drops while the reply is being sent: after the retry it arrives exactly once.
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
      driver.dm("1003", "how does it end?");
      await until(() => ending.requests.length === 1, "generation started");
      driver.cutNextSends();
      open();
      await until(
        () => driver.replies("1003").length >= 1 && runner.outbox.pending(driver.type).length === 0,
        "delivery after cut",
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(driver.replies("1003")).toEqual(["The end of the story."]);
    } finally {
      await runner.stop();
      await driver.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
