import { afterEach, describe, expect, it } from "vitest";
import { SignalCliEmulator, type SignalUser } from "../../../../test/bridges/emulators/signal-cli.js";
import { UserError } from "../../errors.js";
import { testBridgeConnection } from "../test-connection.js";
import {
  type AdapterStatus,
  type BridgeLogger,
  type InboundMessage,
  PermanentSendError,
  RateLimitedError,
} from "../types.js";
import { SignalAdapter, type SignalBridgeConfig } from "./adapter.js";

const quietLog: BridgeLogger = { info() {}, warn() {}, error() {}, debug() {} };
const alice: SignalUser = {
  uuid: "7ccae375-cd51-4c82-8b1e-7be3280aa485",
  number: "+4915100000042",
  name: "Alice",
};
const bob: SignalUser = {
  uuid: "1d2e3f40-1111-4222-8333-444455556666",
  number: "+4915100000043",
  name: "Bob",
};

let emu: SignalCliEmulator;
let adapter: SignalAdapter | undefined;
const abort = new AbortController();

afterEach(async () => {
  await adapter?.stop();
  adapter = undefined;
  await emu?.stop();
});

async function setup(
  emuOpts: ConstructorParameters<typeof SignalCliEmulator>[0] = {},
  extra: Partial<SignalBridgeConfig> = {},
): Promise<SignalAdapter> {
  emu = new SignalCliEmulator(emuOpts);
  await emu.start();
  adapter = new SignalAdapter(
    { type: "signal", url: emu.url, account: emu.account, dmPolicy: "pairing", ...extra },
    { id: "sig", log: quietLog },
    { backoff: { baseMs: 10, maxMs: 50 } },
  );
  return adapter;
}

function collect(a: SignalAdapter): InboundMessage[] {
  const messages: InboundMessage[] = [];
  a.onMessage((m) => {
    messages.push(m);
  });
  return messages;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("SignalAdapter against the signal-cli emulator", () => {
  it("knows its ACI and normalises a DM and a group mention; typing and unmentioned group text are marked", async () => {
    const a = await setup();
    const inbox = collect(a);
    await a.start(abort.signal);
    expect(a.selfId()).toEqual({ id: emu.aci, name: emu.account });
    emu.userTypes(alice);
    emu.userSends(alice, "hello bot");
    emu.userSends(bob, "what time is it?", { groupId: "R3JvdXAx", mentionBot: true });
    emu.userSends(bob, "just chatting", { groupId: "R3JvdXAx" });
    await until(() => inbox.length === 3, "three messages");
    const [dm, group, chat] = inbox;
    expect(dm).toMatchObject({
      chatId: alice.uuid,
      senderId: alice.uuid,
      senderName: "Alice",
      isDirect: true,
    });
    expect(dm?.text).toBe("hello bot");
    expect(group).toMatchObject({
      chatId: "group:R3JvdXAx",
      senderId: bob.uuid,
      isDirect: false,
      mentionsBot: true,
    });
    expect(group?.text).toBe("what time is it?");
    expect(chat).toMatchObject({ isDirect: false, mentionsBot: false });
  });

  it("uses the phone number as sender id when allowFrom lists it; works with a single-account daemon", async () => {
    const a = await setup({ mode: "single" }, { allowFrom: [alice.number] });
    const inbox = collect(a);
    await a.start(abort.signal);
    expect(a.selfId()).toEqual({ id: emu.account, name: emu.account });
    emu.userSends(alice, "hi");
    emu.userSends(bob, "hi too");
    await until(() => inbox.length === 2, "two messages");
    expect(inbox.map((m) => [m.senderId, m.chatId])).toEqual([
      [alice.number, alice.uuid],
      [bob.uuid, bob.uuid],
    ]);
    const id = await a.send({ chatId: alice.uuid, text: "reply" });
    expect(emu.sentTo(alice.uuid).map((m) => [String(m.timestamp), m.text])).toEqual([[id, "reply"]]);
  });

  it("sends, edits by editTimestamp and shows typing; refuses an unknown recipient permanently", async () => {
    const a = await setup({}, { streamEdits: true });
    await a.start(abort.signal);
    expect(a.capabilities.canEdit).toBe(true);
    emu.userSends(alice, "hi");
    await until(() => emu.openStreams === 1, "stream");
    const id = await a.send({ chatId: alice.uuid, text: "Thinking" });
    await a.edit(alice.uuid, id, "Thinking about it");
    await a.typing(alice.uuid);
    await a.send({ chatId: "group:R3JvdXAx", text: "to the group" });
    expect(emu.sentTo(alice.uuid)[0]?.history).toEqual(["Thinking", "Thinking about it"]);
    expect(emu.sentTo("group:R3JvdXAx").map((m) => m.text)).toEqual(["to the group"]);
    expect(emu.typing).toEqual([{ to: alice.uuid, stop: false }]);
    const err = await a.send({ chatId: bob.uuid, text: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentSendError);
    expect((err as Error).message).toContain("Unregistered user");
  });

  it("maps rate limits to RateLimitedError (retryAfterSeconds or 60 s) and I/O errors to transient ones", async () => {
    const a = await setup();
    await a.start(abort.signal);
    emu.userSends(alice, "hi");
    emu.failNext("send", { kind: "rate-limit", retryAfterSeconds: 7 });
    emu.failNext("send", { kind: "rate-limit" });
    emu.failNext("send", { kind: "io-error" });
    const e1 = await a.send({ chatId: alice.uuid, text: "a" }).catch((e: unknown) => e);
    const e2 = await a.send({ chatId: alice.uuid, text: "b" }).catch((e: unknown) => e);
    const e3 = await a.send({ chatId: alice.uuid, text: "c" }).catch((e: unknown) => e);
    expect((e1 as RateLimitedError).retryAfterMs).toBe(7000);
    expect((e2 as RateLimitedError).retryAfterMs).toBe(60_000);
    expect(e3).toBeInstanceOf(Error);
    expect(e3).not.toBeInstanceOf(RateLimitedError);
    expect(e3).not.toBeInstanceOf(PermanentSendError);
    expect(emu.sent).toEqual([]);
  });

  it("reopens a dropped event stream with Last-Event-ID: messages sent meanwhile arrive exactly once", async () => {
    const a = await setup();
    const inbox = collect(a);
    const statuses: AdapterStatus[] = [];
    a.onStatus((s) => statuses.push(s));
    await a.start(abort.signal);
    emu.userSends(alice, "before");
    await until(() => inbox.length === 1, "first message");
    emu.dropStreams();
    emu.userSends(alice, "during");
    await until(() => inbox.length === 2, "message after reconnect");
    emu.userSends(alice, "after");
    await until(() => inbox.length === 3, "third message");
    await new Promise((r) => setTimeout(r, 100));
    expect(inbox.map((m) => m.text)).toEqual(["before", "during", "after"]);
    expect(statuses).toEqual(["connected", "connected"]);
  });

  it("tells the runner when the stream stays down; the next adapter of the bridge resumes after the last event", async () => {
    const a = await setup();
    const inbox = collect(a);
    const statuses: string[] = [];
    a.onStatus((s, err) => statuses.push(err ? `${s}: ${err.message}` : s));
    await a.start(abort.signal);
    emu.userSends(alice, "one");
    await until(() => inbox.length === 1, "first message");
    emu.holdStreams();
    emu.dropStreams();
    emu.userSends(alice, "two");
    await until(() => statuses.length === 2, "disconnected");
    expect(statuses[1]).toMatch(/^disconnected: signal-cli event stream lost: .*503/);
    await a.stop();
    emu.releaseStreams();
    // The runner builds a new adapter for the same bridge: it resumes, so "one" is not delivered again.
    const b = new SignalAdapter(
      { type: "signal", url: emu.url, account: emu.account, dmPolicy: "pairing" },
      { id: "sig", log: quietLog },
    );
    adapter = b;
    const inbox2 = collect(b);
    await b.start(abort.signal);
    await until(() => inbox2.length === 1, "message sent during the outage");
    await new Promise((r) => setTimeout(r, 100));
    expect(inbox2.map((m) => m.text)).toEqual(["two"]);
    // A probe without a handler (dashboard "test connection") sees events but does not move the resume point.
    const probe = new SignalAdapter(
      { type: "signal", url: emu.url, account: emu.account, dmPolicy: "pairing" },
      { id: "sig", log: quietLog },
    );
    await b.stop();
    await probe.start(abort.signal);
    emu.userSends(alice, "three");
    await new Promise((r) => setTimeout(r, 100));
    await probe.stop();
    const c = new SignalAdapter(
      { type: "signal", url: emu.url, account: emu.account, dmPolicy: "pairing" },
      { id: "sig", log: quietLog },
    );
    adapter = c;
    const inbox3 = collect(c);
    await c.start(abort.signal);
    await until(() => inbox3.length === 1, "message the probe saw");
    expect(inbox3.map((m) => m.text)).toEqual(["three"]);
  });

  it("explains an unreachable daemon and an unregistered account as UserErrors", async () => {
    const a = await setup({ registered: false });
    const err = await a.start(abort.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe("bridge_not_registered");
    expect((err as UserError).message).toContain(emu.account);
    const url = emu.url;
    await emu.stop();
    const gone = new SignalAdapter(
      { type: "signal", url, account: emu.account, dmPolicy: "pairing" },
      { id: "sig", log: quietLog },
    );
    const err2 = await gone.start(abort.signal).catch((e: unknown) => e);
    expect((err2 as UserError).code).toBe("bridge_unreachable");
    expect((err2 as UserError).fix).toContain("daemon --http");
  });
});

describe("Signal test connection (dashboard)", () => {
  it("is ok with the account's ACI, and says why when the account is not registered or the daemon is down", async () => {
    await setup();
    const config = { type: "signal", url: emu.url, account: emu.account, dmPolicy: "pairing" as const };
    expect(await testBridgeConnection("sig", config, quietLog)).toMatchObject({ ok: true, botId: emu.aci });
    const other = await testBridgeConnection("sig", { ...config, account: "+4915199999999" }, quietLog);
    expect(other).toMatchObject({ ok: false, kind: "not-registered" });
    expect(other.reason).toBe(
      "The Signal account +4915199999999 is not registered with the signal-cli daemon.",
    );
    await emu.stop();
    const down = await testBridgeConnection("sig", config, quietLog);
    expect(down.reason).toMatch(/^Cannot reach the signal-cli daemon at http:\/\/127\.0\.0\.1:\d+\.$/);
    expect(down.fix).toMatch(/daemon --http/);
    expect(down.kind).toBe("unreachable");
  });
});
