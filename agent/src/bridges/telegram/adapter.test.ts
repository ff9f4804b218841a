import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramBotApiEmulator } from "../../../../test/bridges/emulators/telegram-bot-api.js";
import { UserError } from "../../errors.js";
import { type BridgeLogger, type InboundMessage, PermanentSendError, RateLimitedError } from "../types.js";
import { TelegramAdapter } from "./adapter.js";

const quietLog: BridgeLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** Resolves with the next `count` inbound messages the adapter delivers. */
function collect(
  adapter: TelegramAdapter,
  count: number,
): { messages: InboundMessage[]; done: Promise<void> } {
  const messages: InboundMessage[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  adapter.onMessage((m) => {
    messages.push(m);
    if (messages.length >= count) resolve();
  });
  return { messages, done };
}

describe("TelegramAdapter against the Bot API emulator (real grammY + auto-retry + throttler)", () => {
  let emu: TelegramBotApiEmulator;
  let adapter: TelegramAdapter;
  const abort = new AbortController();

  beforeEach(async () => {
    emu = new TelegramBotApiEmulator();
    const apiRoot = await emu.start();
    adapter = new TelegramAdapter(
      { type: "telegram", token: emu.token, apiRoot, dmPolicy: "pairing" },
      { id: "tg", log: quietLog },
    );
  });

  afterEach(async () => {
    await adapter.stop();
    await emu.stop();
  });

  it("knows itself after start and normalises a DM and a group mention", async () => {
    const inbox = collect(adapter, 3);
    await adapter.start(abort.signal);
    expect(adapter.selfId()).toEqual({ id: String(emu.botId), name: emu.botUsername });
    emu.userSends({ chatId: 42, fromId: 42, username: "alice", text: "hello bot" });
    emu.userSends({
      chatId: -100,
      fromId: 43,
      chatType: "supergroup",
      text: `@${emu.botUsername} what time is it?`,
    });
    emu.userSends({ chatId: -100, fromId: 99, isBot: true, chatType: "supergroup", text: "beep" });
    await inbox.done;
    const [dm, group, bot] = inbox.messages;
    expect(dm).toMatchObject({
      chatId: "42",
      senderId: "42",
      senderName: "alice",
      isDirect: true,
      mentionsBot: true,
    });
    expect(dm?.text).toBe("hello bot");
    expect(group).toMatchObject({ chatId: "-100", senderId: "43", isDirect: false, mentionsBot: true });
    expect(group?.text).toBe("what time is it?");
    expect(bot).toMatchObject({ isBot: true, mentionsBot: false });
  });

  it("sends up to 4096 chars and gets the server's own error (permanent) above that", async () => {
    await adapter.start(abort.signal);
    const id = await adapter.send({ chatId: "42", text: "x".repeat(4096) });
    expect(emu.sentTo(42).map((m) => [String(m.messageId), m.text.length])).toEqual([[id, 4096]]);
    const err = await adapter.send({ chatId: "42", text: "y".repeat(4097) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentSendError);
    expect((err as Error).message).toContain("message is too long");
    expect(emu.sentTo(42)).toHaveLength(1);
  });

  it("edits (an unchanged edit is not an error) and shows typing", async () => {
    await adapter.start(abort.signal);
    const id = await adapter.send({ chatId: "7", text: "Thinking" });
    await adapter.edit("7", id, "Thinking about it");
    await adapter.edit("7", id, "Thinking about it");
    await adapter.typing("7");
    expect(emu.sentTo(7)[0]?.history).toEqual(["Thinking", "Thinking about it"]);
    expect(emu.chatActions).toEqual([{ chatId: 7, action: "typing" }]);
  });

  it("waits out a short 429 retry_after inside the call and delivers once", async () => {
    await adapter.start(abort.signal);
    emu.failNext("sendMessage", { kind: "429", retryAfter: 1 });
    await adapter.send({ chatId: "5", text: "after the pause" });
    expect(emu.calls.get("sendMessage")).toBe(2);
    expect(emu.sentTo(5).map((m) => m.text)).toEqual(["after the pause"]);
  });

  it("hands a long 429 retry_after to the core as RateLimitedError, sending nothing", async () => {
    await adapter.start(abort.signal);
    emu.failNext("sendMessage", { kind: "429", retryAfter: 30 });
    const err = await adapter.send({ chatId: "5", text: "later" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(30_000);
    expect(emu.sentTo(5)).toEqual([]);
  });

  it("reports a send cut on the wire as a transient error, so the outbox retries it once", async () => {
    await adapter.start(abort.signal);
    emu.failNext("sendMessage", { kind: "cut" });
    const err = await adapter.send({ chatId: "9", text: "survives the cut" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(PermanentSendError);
    expect(err).not.toBeInstanceOf(RateLimitedError);
    await adapter.send({ chatId: "9", text: "survives the cut" });
    expect(emu.sentTo(9).map((m) => m.text)).toEqual(["survives the cut"]);
  });

  it("keeps polling after the network drops; a message sent meanwhile arrives exactly once", async () => {
    const inbox = collect(adapter, 2);
    await adapter.start(abort.signal);
    emu.userSends({ chatId: 1, fromId: 1, text: "before" });
    await new Promise((r) => setTimeout(r, 200));
    emu.cutConnections();
    emu.userSends({ chatId: 1, fromId: 1, text: "during" });
    await inbox.done;
    await new Promise((r) => setTimeout(r, 300));
    expect(inbox.messages.map((m) => m.text)).toEqual(["before", "during"]);
  });

  it("explains a bad token and an unreachable server as UserErrors", async () => {
    const bad = new TelegramAdapter(
      { type: "telegram", token: "999:wrong-token-value", apiRoot: emu.apiRoot, dmPolicy: "pairing" },
      { id: "tg", log: quietLog },
    );
    const err = await bad.start(abort.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe("bridge_bad_token");
    const root = emu.apiRoot;
    await emu.stop();
    const gone = new TelegramAdapter(
      { type: "telegram", token: emu.token, apiRoot: root, dmPolicy: "pairing" },
      { id: "tg", log: quietLog },
    );
    const err2 = await gone.start(abort.signal).catch((e: unknown) => e);
    expect((err2 as UserError).code).toBe("bridge_unreachable");
  });
});
