import { afterEach, describe, expect, it } from "vitest";
import { SlackApiEmulator } from "../../../../test/bridges/emulators/slack-api.js";
import { until } from "../../../../test/support/until.js";
import { UserError } from "../../errors.js";
import { type BridgeLogger, type InboundMessage, PermanentSendError, RateLimitedError } from "../types.js";
import { SlackAdapter } from "./adapter.js";

const quietLog: BridgeLogger = { info() {}, warn() {}, error() {}, debug() {} };

const waitFor = (cond: () => boolean, what: string, ms = 20_000) => until(cond, what, ms);

describe("SlackAdapter against the Web API + Socket Mode emulator (real @slack/bolt)", () => {
  let emu: SlackApiEmulator;
  let adapter: SlackAdapter | undefined;
  const abort = new AbortController();

  async function started() {
    emu = new SlackApiEmulator();
    const apiUrl = await emu.start();
    const inbox: InboundMessage[] = [];
    adapter = new SlackAdapter(
      { type: "slack", botToken: emu.botToken, appToken: emu.appToken, apiUrl, dmPolicy: "pairing" },
      { id: "sl", log: quietLog },
    );
    adapter.onMessage((m) => {
      inbox.push(m);
    });
    await adapter.start(abort.signal);
    return { adapter, inbox };
  }

  afterEach(async () => {
    await adapter?.stop();
    adapter = undefined;
    await emu.stop();
  });

  it("connects in Socket Mode, acks envelopes and normalises DMs, channel mentions and bots", async () => {
    const { adapter, inbox } = await started();
    expect(adapter.selfId()).toEqual({ id: emu.botUserId, name: "clawbox" });
    emu.userSends({ channel: "D100", user: "U200", text: "hello" });
    emu.userSends({ channel: "C300", user: "U201", text: `<@${emu.botUserId}> what is *this*?` });
    emu.userSends({ channel: "C300", user: "", text: "automated", bot: true });
    await waitFor(() => inbox.length === 3 && emu.unacked === 0, "three acked messages");
    expect(inbox[0]).toMatchObject({
      chatId: "D100",
      senderId: "U200",
      isDirect: true,
      mentionsBot: true,
      text: "hello",
    });
    expect(inbox[0]?.threadId).toBeUndefined();
    expect(inbox[1]).toMatchObject({
      chatId: "C300",
      isDirect: false,
      mentionsBot: true,
      text: "what is *this*?",
    });
    expect(inbox[1]?.threadId).toBe(inbox[1]?.id);
    expect(inbox[2]).toMatchObject({ isBot: true, mentionsBot: false });
  });

  it("posts (threaded), updates, and reports msg_too_long as permanent", async () => {
    const { adapter } = await started();
    const ts = await adapter.send({ chatId: "C300", text: "a".repeat(4000), threadId: "1700000000.000001" });
    await adapter.edit("C300", ts, "*done*");
    expect(emu.sentTo("C300").map((m) => [m.ts, m.threadTs, m.history.map((h) => h.length)])).toEqual([
      [ts, "1700000000.000001", [4000, 6]],
    ]);
    const err = await adapter.send({ chatId: "C300", text: "b".repeat(40_001) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentSendError);
    expect((err as Error).message).toContain("msg_too_long");
  });

  it("turns HTTP 429 Retry-After into RateLimitedError and sends nothing", async () => {
    const { adapter } = await started();
    emu.failNext("chat.postMessage", { kind: "429", retryAfter: 7 });
    const err = await adapter.send({ chatId: "D100", text: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(7000);
    expect(emu.sentTo("D100")).toEqual([]);
  });

  it("reconnects after a cut and on refresh_requested; an event whose ack was lost is redelivered with the same id", {
    timeout: 120_000,
  }, async () => {
    const { inbox } = await started();
    emu.userSends({ channel: "D100", user: "U200", text: "lost ack" }, { withholdAck: true });
    await waitFor(() => inbox.length === 1, "first delivery");
    emu.cutSocket();
    // socket-mode notices the dead socket, waits its reconnect delay, then opens a new connection.
    await waitFor(
      () => emu.connections === 2 && inbox.length === 2 && emu.unacked === 0,
      "reconnect and redelivery",
      50_000,
    );
    expect(inbox[1]?.id).toBe(inbox[0]?.id);
    emu.requestRefresh();
    await waitFor(() => emu.connections === 3, "refresh reconnect", 50_000);
    emu.userSends({ channel: "D100", user: "U200", text: "after refresh" });
    await waitFor(() => inbox.length === 3, "message after refresh");
    expect(inbox.map((m) => m.text)).toEqual(["lost ack", "lost ack", "after refresh"]);
  });

  it("explains swapped and rejected tokens as UserErrors", async () => {
    emu = new SlackApiEmulator();
    const apiUrl = await emu.start();
    adapter = new SlackAdapter(
      { type: "slack", botToken: emu.botToken, appToken: emu.botToken, apiUrl, dmPolicy: "pairing" },
      { id: "sl", log: quietLog },
    );
    const swapped = await adapter.start(abort.signal).catch((e: unknown) => e);
    expect(swapped).toBeInstanceOf(UserError);
    expect((swapped as UserError).fix).toContain("xapp-");
    adapter = new SlackAdapter(
      { type: "slack", botToken: "xoxb-wrong", appToken: emu.appToken, apiUrl, dmPolicy: "pairing" },
      { id: "sl", log: quietLog },
    );
    const rejected = await adapter.start(abort.signal).catch((e: unknown) => e);
    expect((rejected as UserError).code).toBe("bridge_bad_token");
    expect((rejected as Error).message).toContain("invalid_auth");
  });
  it("explains an unreachable server as a UserError", async () => {
    const probe = new (await import("node:net")).Server();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const gone = `http://127.0.0.1:${port}/api/`;
    emu = new SlackApiEmulator();
    adapter = new SlackAdapter(
      { type: "slack", botToken: emu.botToken, appToken: emu.appToken, apiUrl: gone, dmPolicy: "pairing" },
      { id: "x", log: quietLog },
    );
    const err = await adapter.start(abort.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe("bridge_unreachable");
  });
});
