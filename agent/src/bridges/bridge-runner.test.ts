import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EchoInference } from "../../../test/bridges/kit/echo-inference.js";
import { MemoryAdapter, MemoryPlatform } from "../../../test/bridges/kit/memory-adapter.js";
import { createLogger } from "../log.js";
import { PAIRING_ALPHABET } from "../pairing/pairing-store.js";
import { ConversationStore } from "../store/conversation-store.js";
import { openDatabase } from "../store/database.js";
import { BridgeRunner } from "./bridge-runner.js";
import type { BridgeCommonConfig, ChannelCapabilities } from "./types.js";

let dir: string;
let db: Database;
const runners: BridgeRunner[] = [];
const log = createLogger({ level: "silent" });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-bridge-"));
  db = openDatabase(dir);
});
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const PLAIN: ChannelCapabilities = {
  maxTextLength: 100,
  canEdit: false,
  canTyping: false,
  threads: false,
  format: "plain",
};

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function runBridge(opts: {
  platform: MemoryPlatform;
  inference: EchoInference;
  config?: Partial<BridgeCommonConfig>;
  caps?: ChannelCapabilities;
}): BridgeRunner {
  const runner = new BridgeRunner({
    id: "mem",
    config: { type: "memory", dmPolicy: "pairing", ...opts.config },
    createAdapter: async () => new MemoryAdapter("mem", opts.caps ?? PLAIN, opts.platform),
    db,
    inference: opts.inference,
    conversations: new ConversationStore(db),
    log,
    backoff: { baseMs: 5, maxMs: 20 },
    flushIntervalMs: 50,
  });
  runners.push(runner);
  runner.start();
  return runner;
}

describe("BridgeRunner", () => {
  it("answers an unknown sender with a pairing code only, then with the model once approved", async () => {
    const platform = new MemoryPlatform();
    const inference = new EchoInference();
    const runner = runBridge({ platform, inference, caps: { ...PLAIN, maxTextLength: 500 } });
    await until(() => platform.connected, "connect");

    await platform.inbound({ text: "hello" });
    expect(inference.requests).toHaveLength(0);
    expect(platform.messages).toHaveLength(1);
    const code = platform.messages[0]?.text.match(/code is ([A-Z0-9]{8})/)?.[1] ?? "";
    expect([...code].every((c) => PAIRING_ALPHABET.includes(c))).toBe(true);

    // A second message: no model, no repeated code (rate limited reply).
    await platform.inbound({ text: "hello?" });
    expect(inference.requests).toHaveLength(0);
    expect(platform.messages).toHaveLength(1);

    runner.pairing.approve("mem", code.toLowerCase());
    await platform.inbound({ text: "hi again" });
    expect(inference.requests).toHaveLength(1);
    expect(platform.messages.at(-1)?.text).toBe("echo: hi again");
  });

  it("ignores its own and other bots' messages and answers groups only when mentioned", async () => {
    const platform = new MemoryPlatform();
    const inference = new EchoInference();
    runBridge({ platform, inference, config: { dmPolicy: "open" } });
    await until(() => platform.connected, "connect");
    await platform.inbound({ text: "mine", senderId: "bot-1" });
    await platform.inbound({ text: "other bot", senderId: "b2", isBot: true });
    await platform.inbound({ text: "chatter", chatId: "g", isDirect: false, mentionsBot: false });
    expect(platform.messages).toHaveLength(0);
    await platform.inbound({
      text: "question",
      chatId: "g",
      isDirect: false,
      mentionsBot: true,
      senderName: "ann",
    });
    expect(platform.messages.map((m) => m.text)).toEqual(["echo: ann: question"]);
  });

  it("keeps one conversation per DM sender, answers commands without the model, and /reset forgets", async () => {
    const platform = new MemoryPlatform();
    const inference = new EchoInference();
    runBridge({ platform, inference, config: { dmPolicy: "allowlist", allowFrom: ["user-1", "user-2"] } });
    await until(() => platform.connected, "connect");
    await platform.inbound({ text: "one" });
    await platform.inbound({ text: "two" });
    await platform.inbound({ text: "other", senderId: "user-2", chatId: "dm-2" });
    await platform.inbound({ text: "stranger", senderId: "user-3", chatId: "dm-3" });
    expect(inference.requests.map((r) => r.conversationId)).toEqual([
      "bridge:mem:dm:user-1",
      "bridge:mem:dm:user-1",
      "bridge:mem:dm:user-2",
    ]);
    expect(inference.requests[1]?.messages.map((m) => m.content)).toEqual(["one", "echo: one", "two"]);
    await platform.inbound({ text: "/model" });
    await platform.inbound({ text: "/reset" });
    expect(platform.messages.slice(-2).map((m) => m.text)).toEqual([
      "Model: echo",
      "Done: this conversation is forgotten.",
    ]);
    await platform.inbound({ text: "three" });
    expect(inference.requests.at(-1)?.messages.map((m) => m.content)).toEqual(["three"]);
  });

  it("splits a long reply at the platform limit", async () => {
    const platform = new MemoryPlatform();
    const long = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} is here.`).join(" ");
    runBridge({
      platform,
      inference: new EchoInference({ reply: () => long }),
      config: { dmPolicy: "open" },
    });
    await until(() => platform.connected, "connect");
    await platform.inbound({ text: "go" });
    expect(platform.messages.length).toBeGreaterThan(5);
    for (const m of platform.messages) expect(m.text.length).toBeLessThanOrEqual(100);
    expect(platform.messages.map((m) => m.text).join(" ")).toBe(long);
  });

  it("delivers a reply cut off by a disconnect exactly once after the reconnect", async () => {
    const platform = new MemoryPlatform();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const long = Array.from({ length: 12 }, (_, i) => `Part ${i} of the answer.`).join(" ");
    runBridge({
      platform,
      inference: new EchoInference({ reply: () => long, gate: () => gate }),
      config: { dmPolicy: "open" },
    });
    await until(() => platform.connected, "connect");
    platform.failConnects = 2; // the next two reconnect attempts fail: backoff kicks in
    const handled = platform.inbound({ text: "tell me" });
    platform.drop();
    release();
    await handled;
    await until(() => platform.connects >= 4 && platform.connected, "reconnect");
    await until(() => platform.messages.map((m) => m.text).join(" ") === long, "the whole reply");
    await new Promise((r) => setTimeout(r, 120)); // two more flush periods: nothing may be sent again
    expect(platform.messages.map((m) => m.text).join(" ")).toBe(long);
    const ids = platform.messages.map((m) => m.outboxId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("a redelivered inbound message is answered once", async () => {
    const platform = new MemoryPlatform();
    const inference = new EchoInference();
    runBridge({ platform, inference, config: { dmPolicy: "open" } });
    await until(() => platform.connected, "connect");
    await platform.inbound({ id: "42", text: "once" });
    await platform.inbound({ id: "42", text: "once" });
    expect(inference.requests).toHaveLength(1);
    expect(platform.messages).toHaveLength(1);
  });

  it("streams by edits where the platform can edit, ending with the full text", async () => {
    const platform = new MemoryPlatform();
    const long = "word ".repeat(60).trim();
    runBridge({
      platform,
      inference: new EchoInference({ reply: () => long }),
      config: { dmPolicy: "open" },
      caps: { ...PLAIN, maxTextLength: 4000, canEdit: true, minEditIntervalMs: 0 },
    });
    await until(() => platform.connected, "connect");
    await platform.inbound({ text: "go" });
    expect(platform.messages).toHaveLength(1);
    expect(platform.messages[0]?.text).toBe(long);
  });
});
