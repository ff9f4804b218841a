import { describe, expect, it } from "vitest";
import { DingTalkAdapter } from "../../../agent/src/bridges/dingtalk/adapter.js";
import { FeishuAdapter } from "../../../agent/src/bridges/feishu/adapter.js";
import { WeComAdapter } from "../../../agent/src/bridges/wecom/adapter.js";
import {
  type CuttableDriver,
  silentLog as log,
  pairAnswerSplitAndCut,
  useTestModel,
} from "../kit/cloud-e2e.js";
import { DingTalkStreamEmulator } from "./dingtalk-stream.js";
import { FeishuOpenPlatformEmulator } from "./feishu-open-platform.js";
import { WeComEmulator } from "./wecom-api.js";

/**
 * Feishu/Lark, DingTalk and WeCom end to end: emulator ← the real SDK (@larksuiteoapi/node-sdk WSClient,
 * dingtalk-stream) or plain HTTP (WeCom) ← our adapter ← BridgeRunner (router, access policy with pairing,
 * outbox in SQLite) → the real tiny test model. Senders: "1001" unknown (pairing), "1002" and "1003"
 * allowlisted.
 */

function feishu(): CuttableDriver {
  const emu = new FeishuOpenPlatformEmulator();
  const user = (s: string) => ({ openId: `ou_user${s}`, unionId: `on_user${s}` });
  const chat = (s: string) => ({ id: `oc_dm_${s}`, type: "p2p" as const });
  return {
    type: "feishu",
    limit: 30_000,
    unit: "bytes",
    start: async () => void (await emu.start()),
    stop: () => emu.stop(),
    adapter: () =>
      new FeishuAdapter(
        {
          type: "feishu",
          appId: emu.appId,
          appSecret: emu.appSecret,
          baseUrl: emu.baseUrl,
          dmPolicy: "pairing",
        },
        { id: "feishu", log },
      ),
    senderId: (s) => user(s).openId,
    dm: (s, text) => void emu.userSends(user(s), chat(s), text),
    replies: (s) => emu.sentTo(chat(s).id).map((m) => m.text),
    // The long connection drops and stays down; the reply reaches Feishu but the answer is lost. The retry
    // carries the same uuid, so Feishu shows it once.
    cut: () => {
      emu.refuseConnections = true;
      emu.dropConnections();
      emu.failNext({ kind: "cut-after" });
    },
    restore: () => {
      emu.refuseConnections = false;
    },
    inboundCut: true,
    acceptedBeforeCut: true,
  };
}

function dingtalk(): CuttableDriver {
  const emu = new DingTalkStreamEmulator();
  const staff = (s: string) => `staff${s}`;
  return {
    type: "dingtalk",
    limit: 7000,
    unit: "bytes",
    start: async () => void (await emu.start()),
    stop: () => emu.stop(),
    adapter: () =>
      new DingTalkAdapter(
        {
          type: "dingtalk",
          clientId: emu.clientId,
          clientSecret: emu.clientSecret,
          apiUrl: emu.apiUrl,
          dmPolicy: "pairing",
        },
        { id: "dingtalk", log },
      ),
    senderId: staff,
    dm: (s, text) => void emu.userSends({ staffId: staff(s), nick: `User ${s}` }, text),
    replies: (s) => emu.sentTo(`user:${staff(s)}`).map((m) => m.text),
    // The Stream connection drops and stays down; the reply's webhook request is cut before DingTalk got
    // it (DingTalk has no idempotency key, so only that side of the cut can be exactly once).
    cut: () => {
      emu.refuseConnections = true;
      emu.dropConnections();
      emu.failNext({ kind: "cut-before" });
    },
    restore: () => {
      emu.refuseConnections = false;
    },
    inboundCut: true,
  };
}

function wecom(): CuttableDriver {
  const emu = new WeComEmulator();
  const userid = (s: string) => `user${s}`;
  for (const s of ["1001", "1002", "1003"]) emu.users.add(userid(s));
  return {
    type: "wecom",
    limit: 2048,
    unit: "bytes",
    flushIntervalMs: 1_000,
    start: async () => void (await emu.start()),
    connected: (adapter) => {
      emu.callbackUrl = `http://127.0.0.1:${(adapter as WeComAdapter).address()?.port}/wecom`;
    },
    stop: () => emu.stop(),
    adapter: () =>
      new WeComAdapter(
        {
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
        },
        { id: "wecom", log },
      ),
    senderId: userid,
    dm: async (s, text) => {
      expect((await emu.userSends(userid(s), text)).status).toBe(200);
    },
    replies: (s) => emu.sentTo(userid(s)).map((m) => m.text),
    // message/send unreachable for the reply (cut before WeCom got it; no idempotency key); callbacks are
    // WeCom's own retried HTTP requests, so inbound does not stop.
    cut: () => emu.failNext({ kind: "cut-before" }),
    restore: () => {},
    inboundCut: false,
  };
}

const model = useTestModel();

describe.each([
  ["feishu", feishu],
  ["dingtalk", dingtalk],
  ["wecom", wecom],
] as const)("%s bridge end to end", (_name, makeDriver) => {
  it("pairs, answers with the model, splits at the limit and delivers across a cut exactly once", {
    timeout: 240_000,
  }, async () => {
    // 1–3. Pairing, the model's answer after approval, a long reply split at the limit (UTF-8 bytes).
    // 4. The connection breaks while the reply is generated: after it is back the reply arrives once.
    // Feishu and DingTalk: a message sent while the long connection is down is pushed again, once.
    await pairAnswerSplitAndCut(makeDriver, model());
  });
});
