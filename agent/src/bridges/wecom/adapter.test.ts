import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WeComEmulator } from "../../../../test/bridges/emulators/wecom-api.js";
import { expectAuthThenUnreachable } from "../../../../test/bridges/kit/connection-kinds.js";
import { until } from "../../../../test/support/until.js";
import type { BridgeConfig } from "../config-schema.js";
import { SendQueue } from "../send-queue.js";
import { testBridgeConnection } from "../test-connection.js";
import { type BridgeLogger, type InboundMessage, PermanentSendError, RateLimitedError } from "../types.js";
import { WeComAdapter, type WeComBridgeConfig } from "./adapter.js";
import { sendWeComRobotAlert } from "./group-robot.js";

const quietLog: BridgeLogger = { info() {}, warn() {}, error() {}, debug() {} };

let emu: WeComEmulator;
let adapter: WeComAdapter | undefined;

afterEach(async () => {
  await adapter?.stop();
  adapter = undefined;
  await emu?.stop();
});

function config(extra: Partial<WeComBridgeConfig> = {}): WeComBridgeConfig & BridgeConfig {
  return {
    type: "wecom",
    dmPolicy: "pairing",
    corpId: emu.corpId,
    agentId: emu.agentId,
    corpSecret: emu.corpSecret,
    token: emu.token,
    encodingAesKey: emu.encodingAesKey,
    listenHost: "127.0.0.1",
    listenPort: 0,
    apiUrl: emu.apiUrl,
    ...extra,
  };
}

async function started(): Promise<{ adapter: WeComAdapter; inbox: InboundMessage[] }> {
  emu = new WeComEmulator();
  await emu.start();
  const a = new WeComAdapter(config(), { id: "wc", log: quietLog });
  adapter = a;
  const inbox: InboundMessage[] = [];
  a.onMessage((m) => {
    inbox.push(m);
  });
  await a.start(new AbortController().signal);
  emu.callbackUrl = `http://127.0.0.1:${a.address()?.port}/wecom/callback`;
  return { adapter: a, inbox };
}

describe("WeComAdapter against the WeCom emulator", () => {
  it("passes URL verification only with a good signature", async () => {
    await started();
    const ok = await emu.verifyUrl();
    expect(ok).toMatchObject({ status: 200, body: ok.echo });
    expect((await emu.verifyUrl({ badSignature: true })).status).toBe(403);
  });

  it("decrypts signed callbacks once per MsgId and refuses badly signed ones", async () => {
    const { inbox } = await started();
    const first = await emu.userSends("ZhangSan", "你好 <clawbox> & co");
    expect(first.status).toBe(200);
    await until(() => inbox.length === 1, "message");
    expect(inbox[0]).toMatchObject({
      id: first.msgId,
      chatId: "ZhangSan",
      senderId: "ZhangSan",
      isDirect: true,
      text: "你好 <clawbox> & co",
    });
    expect(await emu.redeliver(first.msgId)).toBe(200);
    expect((await emu.userSends("LiSi", "forged", { signature: "bad" })).status).toBe(403);
    await new Promise((r) => setTimeout(r, 100));
    expect(inbox.map((m) => m.text)).toEqual(["你好 <clawbox> & co"]);
  });

  it("sends by message/send, refreshes an expired token, and maps 45009 and unknown users", async () => {
    const { adapter } = await started();
    await adapter.send({ chatId: "ZhangSan", text: "hello 世界" });
    emu.expireTokens();
    await adapter.send({ chatId: "ZhangSan", text: "after 42001" });
    expect(emu.sentTo("ZhangSan").map((m) => m.text)).toEqual(["hello 世界", "after 42001"]);
    expect(emu.calls.get("/cgi-bin/gettoken")).toBe(2);
    emu.failNext({ kind: "rate-limit" });
    await expect(adapter.send({ chatId: "LiSi", text: "x" })).rejects.toBeInstanceOf(RateLimitedError);
    emu.failNext({ kind: "rate-limit" });
    const t0 = Date.now();
    await new SendQueue().run("LiSi", () => adapter.send({ chatId: "LiSi", text: "after the wait" }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    await expect(adapter.send({ chatId: "Nobody", text: "x" })).rejects.toBeInstanceOf(PermanentSendError);
    await expect(adapter.send({ chatId: "LiSi", text: "é".repeat(1025) })).rejects.toBeInstanceOf(
      PermanentSendError,
    );
  });

  it("test connection: a wrong secret is auth, a bad EncodingAESKey config, a dead host unreachable", async () => {
    emu = new WeComEmulator();
    await emu.start();
    const good = await expectAuthThenUnreachable(
      "wc",
      config(),
      { corpSecret: "wrong-secret-123" },
      { apiUrl: "http://127.0.0.1:1" },
      quietLog,
    );
    expect(good).toMatchObject({ ok: true, botId: `${emu.corpId}/${emu.agentId}` });
    const key = await testBridgeConnection("wc", config({ encodingAesKey: "a".repeat(42) }), quietLog);
    expect(key).toMatchObject({ ok: false, kind: "config" });
  });
});

describe("WeCom test connection while the bridge runs", () => {
  it("probes without listening when its own bridge holds the port; another bridge there fails to listen", async () => {
    emu = new WeComEmulator();
    await emu.start();
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, "127.0.0.1", r));
    const port = (free.address() as AddressInfo).port;
    await new Promise((r) => free.close(r));
    adapter = new WeComAdapter(config({ listenPort: port }), { id: "wc", log: quietLog });
    await adapter.start(new AbortController().signal);
    expect(await testBridgeConnection("wc", config({ listenPort: port }), quietLog)).toMatchObject({
      ok: true,
    });
    expect(await testBridgeConnection("other", config({ listenPort: port }), quietLog)).toMatchObject({
      ok: false,
      kind: "listen",
    });
  });
});

describe("WeCom group robot alerts", () => {
  it("splits long alerts at 2048 bytes, waits out 45009, and refuses a wrong key without naming it", async () => {
    emu = new WeComEmulator();
    await emu.start();
    const long = Array.from(
      { length: 120 },
      (_, i) => `告警 ${i}: disk usage above 90% on clawbox-${i}.`,
    ).join("\n");
    emu.failNext({ kind: "rate-limit" });
    const sent = await sendWeComRobotAlert(emu.robotUrl, long);
    expect(sent).toBe(emu.robot.length);
    expect(sent).toBeGreaterThan(1);
    for (const m of emu.robot) expect(Buffer.byteLength(m.content)).toBeLessThanOrEqual(2048);
    expect(
      emu.robot
        .map((m) => m.content)
        .join("\n")
        .replace(/\s+/g, " "),
    ).toBe(long.replace(/\s+/g, " "));
    await sendWeComRobotAlert(emu.robotUrl, "**clawbox** back", { markdown: true });
    expect(emu.robot.at(-1)).toEqual({ msgtype: "markdown", content: "**clawbox** back" });
    const wrong = sendWeComRobotAlert(`${emu.apiUrl}/cgi-bin/webhook/send?key=not-a-key`, "x");
    await expect(wrong).rejects.toBeInstanceOf(PermanentSendError);
    await expect(wrong).rejects.not.toThrow(/not-a-key/);
  });
});
