import { createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WhatsAppCloudEmulator } from "../../../../test/bridges/emulators/whatsapp-cloud.js";
import { UserError } from "../../errors.js";
import { testBridgeConnection } from "../test-connection.js";
import { type BridgeLogger, type InboundMessage, PermanentSendError, RateLimitedError } from "../types.js";
import { WhatsAppAdapter, type WhatsAppBridgeConfig } from "./adapter.js";

const VERIFY = "verify-token-123";
let emu: WhatsAppCloudEmulator;
let adapter: WhatsAppAdapter | undefined;
let warnings: string[];
const abort = new AbortController();

afterEach(async () => {
  await adapter?.stop();
  adapter = undefined;
  await emu?.stop();
});

function log(): BridgeLogger {
  warnings = [];
  return {
    info() {},
    debug() {},
    error() {},
    warn: (obj: object | string, msg?: string) => void warnings.push(`${msg ?? ""} ${JSON.stringify(obj)}`),
  };
}

async function setup(extra: Partial<WhatsAppBridgeConfig> = {}): Promise<WhatsAppAdapter> {
  emu = new WhatsAppCloudEmulator();
  await emu.start();
  adapter = new WhatsAppAdapter(
    {
      type: "whatsapp",
      dmPolicy: "pairing",
      phoneNumberId: emu.phoneNumberId,
      accessToken: emu.accessToken,
      appSecret: emu.appSecret,
      verifyToken: VERIFY,
      listenHost: "127.0.0.1",
      listenPort: 0,
      graphApiUrl: emu.graphApiUrl,
      apiVersion: "v23.0",
      ...extra,
    },
    { id: "wa", log: log() },
  );
  return adapter;
}

async function started(a: WhatsAppAdapter): Promise<InboundMessage[]> {
  const inbox: InboundMessage[] = [];
  a.onMessage((m) => {
    inbox.push(m);
  });
  await a.start(abort.signal);
  emu.webhookUrl = `http://127.0.0.1:${a.address()?.port}/webhook`;
  return inbox;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("WhatsAppAdapter against the Cloud API emulator", () => {
  it("knows its number, answers Meta's verification only with the right token", async () => {
    const a = await setup();
    await started(a);
    expect(a.selfId()).toEqual({ id: "15550100199", name: "Clawbox Test" });
    expect(await emu.verify(VERIFY, "1158201444")).toEqual({ status: 200, body: "1158201444" });
    expect((await emu.verify("wrong-token-xyz", "1158201444")).status).toBe(403);
  });

  it("takes signed webhooks once per wamid and refuses unsigned or badly signed ones with 401", async () => {
    const a = await setup();
    const inbox = await started(a);
    const first = await emu.userSends("4915100000042", "hello bot", { name: "Alice" });
    expect(first.status).toBe(200);
    await until(() => inbox.length === 1, "message");
    expect(inbox[0]).toMatchObject({
      id: first.wamid,
      chatId: "4915100000042",
      senderId: "4915100000042",
      senderName: "Alice",
      isDirect: true,
      isBot: false,
      text: "hello bot",
    });
    expect(await emu.redeliver(first.wamid)).toBe(200);
    expect((await emu.userSends("4915100000042", "forged", { signature: null })).status).toBe(401);
    const forged = await emu.userSends("4915100000042", "forged", { signature: `sha256=${"0".repeat(64)}` });
    expect(forged.status).toBe(401);
    expect((await emu.userSends("4915100000042", "x", { signature: "sha1=abc" })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(inbox.map((m) => m.text)).toEqual(["hello bot"]);
  });

  it("survives a webhook request cut mid-body and keeps serving", async () => {
    const a = await setup();
    const inbox = await started(a);
    const socket = connect(a.address()?.port ?? 0, "127.0.0.1");
    await new Promise<void>((r) => socket.once("connect", () => r()));
    socket.write('POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{"object":');
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect((await emu.userSends("4915100000042", "still here?")).status).toBe(200);
    await until(() => inbox.length === 1, "message after the cut request");
  });

  it("sends text up to 4096 chars (the server refuses more), and shows typing on the user's last message", async () => {
    const a = await setup();
    await started(a);
    await a.typing("4915100000042");
    expect(emu.reads).toEqual([]);
    const { wamid } = await emu.userSends("4915100000042", "hi");
    const id = await a.send({ chatId: "4915100000042", text: "x".repeat(4096) });
    expect(emu.sentTo("4915100000042").map((m) => [m.id, m.text.length])).toEqual([[id, 4096]]);
    const err = await a.send({ chatId: "4915100000042", text: "y".repeat(4097) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentSendError);
    await a.typing("4915100000042");
    await a.typing("4915100000042");
    expect(emu.reads).toEqual([{ messageId: wamid, typing: true }]);
  });

  it("maps 429/130429/131056 to RateLimitedError, 131047 to a clear permanent error, 5xx and cuts to transient", async () => {
    const a = await setup();
    await started(a);
    emu.failNext({ kind: "rate-limit", code: 130429, retryAfterSeconds: 3 });
    emu.failNext({ kind: "rate-limit", code: 131056 });
    emu.failNext({ kind: "reengagement" });
    emu.failNext({ kind: "server-error" });
    emu.failNext({ kind: "cut-before" });
    const errors: unknown[] = [];
    for (let i = 0; i < 5; i++)
      errors.push(await a.send({ chatId: "49151", text: "t" }).catch((e: unknown) => e));
    expect((errors[0] as RateLimitedError).retryAfterMs).toBe(3000);
    expect((errors[1] as RateLimitedError).retryAfterMs).toBe(6000);
    expect(errors[2]).toBeInstanceOf(PermanentSendError);
    expect((errors[2] as Error).message).toMatch(/24 hours.*131047/);
    for (const e of errors.slice(3)) {
      expect(e).toBeInstanceOf(Error);
      expect(e).not.toBeInstanceOf(PermanentSendError);
      expect(e).not.toBeInstanceOf(RateLimitedError);
    }
    expect(emu.sent).toEqual([]);
    expect(await emu.deliverFailedStatus("wamid.X", "49151", 131047, "Re-engagement message")).toBe(200);
    await until(() => warnings.some((w) => w.includes("24 hours")), "24-hour warning");
  });

  it("explains a rejected token, an unknown phone number id and an unreachable Graph API", async () => {
    const bad = await setup({ accessToken: "EAAG-wrong-token-000000000" });
    const e1 = await bad.start(abort.signal).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(UserError);
    expect((e1 as UserError).code).toBe("bridge_bad_token");
    expect((e1 as UserError).message).toContain("rejected the access token");
    expect((e1 as UserError).message).not.toContain("wrong-token");
    const unknown = new WhatsAppAdapter(
      {
        type: "whatsapp",
        dmPolicy: "pairing",
        phoneNumberId: "999999",
        accessToken: emu.accessToken,
        appSecret: emu.appSecret,
        verifyToken: VERIFY,
        listenPort: 0,
        graphApiUrl: emu.graphApiUrl,
      },
      { id: "wa", log: log() },
    );
    expect(((await unknown.start(abort.signal).catch((e: unknown) => e)) as UserError).code).toBe(
      "bridge_bad_config",
    );
    const url = emu.graphApiUrl;
    await emu.stop();
    const gone = new WhatsAppAdapter(
      {
        type: "whatsapp",
        dmPolicy: "pairing",
        phoneNumberId: "106540352242922",
        accessToken: "EAAG-test-access-token-0123456789",
        appSecret: "s".repeat(16),
        verifyToken: VERIFY,
        listenPort: 0,
        graphApiUrl: url,
      },
      { id: "wa", log: log() },
    );
    expect(((await gone.start(abort.signal).catch((e: unknown) => e)) as UserError).code).toBe(
      "bridge_unreachable",
    );
  });
});

describe("WhatsApp test connection (dashboard)", () => {
  it("reports the token problem, and works while the bridge itself holds the webhook port", async () => {
    const running = await setup();
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const config = {
      type: "whatsapp" as const,
      dmPolicy: "pairing" as const,
      phoneNumberId: emu.phoneNumberId,
      accessToken: emu.accessToken,
      appSecret: emu.appSecret,
      verifyToken: VERIFY,
      listenHost: "127.0.0.1",
      listenPort: port,
      graphApiUrl: emu.graphApiUrl,
    };
    const bad = await testBridgeConnection(
      "shop",
      { ...config, accessToken: "EAAG-wrong-token-000000000" },
      log(),
    );
    expect(bad).toMatchObject({
      ok: false,
      reason: "WhatsApp rejected the access token (expired or invalid).",
    });
    expect(bad.fix).toMatch(/System users/);
    const live = new WhatsAppAdapter({ ...config, listenPort: port }, { id: "shop", log: log() });
    await live.start(abort.signal);
    try {
      expect(await testBridgeConnection("shop", config, log())).toMatchObject({
        ok: true,
        botId: "15550100199",
      });
      const other = await testBridgeConnection("other-shop", config, log());
      expect(other.ok).toBe(false);
      expect(other.reason).toMatch(/cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
      // The running bridge still owns its port and receives webhooks.
      emu.webhookUrl = `http://127.0.0.1:${port}/`;
      expect((await emu.verify(VERIFY, "42")).body).toBe("42");
    } finally {
      await live.stop();
    }
    expect(await testBridgeConnection("other-shop", config, log())).toMatchObject({ ok: true });
    await running.stop();
  });
});
