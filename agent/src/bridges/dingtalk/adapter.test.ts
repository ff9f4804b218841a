import { afterEach, describe, expect, it } from "vitest";
import { DingTalkStreamEmulator } from "../../../../test/bridges/emulators/dingtalk-stream.js";
import { expectAuthThenUnreachable } from "../../../../test/bridges/kit/connection-kinds.js";
import { until } from "../../../../test/support/until.js";
import { SendQueue } from "../send-queue.js";
import { type BridgeLogger, type InboundMessage, RateLimitedError } from "../types.js";
import { DingTalkAdapter } from "./adapter.js";

const quietLog: BridgeLogger = { info() {}, warn() {}, error() {}, debug() {} };
const li = { staffId: "manager4220", nick: "李雷" };

describe("DingTalkAdapter against the Stream mode emulator (real dingtalk-stream SDK)", () => {
  let emu: DingTalkStreamEmulator;
  let adapter: DingTalkAdapter | undefined;
  const abort = new AbortController();

  async function started() {
    emu = new DingTalkStreamEmulator();
    const apiUrl = await emu.start();
    const inbox: InboundMessage[] = [];
    adapter = new DingTalkAdapter(
      {
        type: "dingtalk",
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
        apiUrl,
        dmPolicy: "pairing",
      },
      { id: "dt", log: quietLog },
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

  it("gets robot callbacks over the Stream connection, acks them, and normalises DMs and group @s", async () => {
    const { inbox } = await started();
    const first = emu.userSends(li, "你好");
    emu.userSends({ staffId: "user0002", nick: "Han" }, "what is this?", "cidGroup001==");
    await until(() => inbox.length === 2 && emu.acked.size === 2, "two acked callbacks");
    expect(inbox[0]).toMatchObject({
      id: first,
      chatId: "user:manager4220",
      senderId: "manager4220",
      senderName: "李雷",
      isDirect: true,
      text: "你好",
    });
    expect(inbox[1]).toMatchObject({
      chatId: "group:cidGroup001==",
      isDirect: false,
      mentionsBot: true,
      text: "what is this?",
    });
  });

  it("replies by the session webhook, and by the robot OpenAPI once the session expired", async () => {
    const { adapter, inbox } = await started();
    emu.userSends(li, "hi");
    emu.userSends({ staffId: "user0002", nick: "Han" }, "hey", "cidGroup001==");
    await until(() => inbox.length === 2, "two messages");
    await adapter.send({ chatId: "user:manager4220", text: "hello 世界" });
    await adapter.send({ chatId: "group:cidGroup001==", text: "hello group" });
    emu.expireSessions();
    // The adapter's webhook is still in date for it, but DingTalk refuses it: the OpenAPI takes over.
    expect(await adapter.send({ chatId: "user:manager4220", text: "late" })).toMatch(/^[0-9a-f]{16}$/);
    const fresh = new DingTalkAdapter(
      {
        type: "dingtalk",
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
        apiUrl: emu.apiUrl,
        dmPolicy: "pairing",
      },
      { id: "dt2", log: quietLog },
    );
    // After a restart no webhook is known: the OpenAPI is used.
    await fresh.send({ chatId: "group:cidGroup001==", text: "group via openapi" });
    expect(emu.sent).toEqual([
      { to: "user:manager4220", text: "hello 世界", via: "webhook" },
      { to: "group:cidGroup001==", text: "hello group", via: "webhook" },
      { to: "user:manager4220", text: "late", via: "openapi" },
      { to: "group:cidGroup001==", text: "group via openapi", via: "openapi" },
    ]);
  });

  it("maps errcode 130101 (send too fast) to a rate limit the send queue waits out", async () => {
    const { adapter, inbox } = await started();
    emu.userSends(li, "hi");
    await until(() => inbox.length === 1, "message");
    emu.failNext({ kind: "rate-limit" });
    await expect(adapter.send({ chatId: "user:manager4220", text: "x" })).rejects.toBeInstanceOf(
      RateLimitedError,
    );
    emu.failNext({ kind: "rate-limit" });
    const t0 = Date.now();
    await new SendQueue().run("c", () =>
      adapter.send({ chatId: "user:manager4220", text: "after the wait" }),
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
    expect(emu.sentTo("user:manager4220").map((m) => m.text)).toEqual(["after the wait"]);
  });

  it("reconnects after DingTalk closes the connection and gets the callback it missed", async () => {
    const { inbox } = await started();
    emu.refuseConnections = true;
    emu.dropConnections();
    await until(() => emu.connections === 0, "dropped");
    emu.userSends(li, "while away");
    emu.refuseConnections = false;
    await until(() => inbox.length === 1, "callback after the reconnect", 15_000);
    expect(inbox[0]?.text).toBe("while away");
  });

  it("test connection: a wrong secret is auth, a dead host unreachable", async () => {
    emu = new DingTalkStreamEmulator();
    const apiUrl = await emu.start();
    const good = await expectAuthThenUnreachable(
      "dt",
      {
        type: "dingtalk",
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
        apiUrl,
        dmPolicy: "pairing",
      },
      { clientSecret: "wrong-secret-123" },
      { apiUrl: "http://127.0.0.1:1" },
      quietLog,
    );
    expect(good).toMatchObject({ ok: true, botId: emu.clientId });
  });
});
