import { afterEach, describe, expect, it } from "vitest";
import { FeishuOpenPlatformEmulator } from "../../../../test/bridges/emulators/feishu-open-platform.js";
import { expectAuthThenUnreachable } from "../../../../test/bridges/kit/connection-kinds.js";
import { until } from "../../../../test/support/until.js";
import { SendQueue } from "../send-queue.js";
import { type BridgeLogger, type InboundMessage, RateLimitedError } from "../types.js";
import { FeishuAdapter, idempotencyKey } from "./adapter.js";

const quietLog: BridgeLogger = { info() {}, warn() {}, error() {}, debug() {} };
const alice = {
  openId: "ou_alice000000000000000000000000001",
  unionId: "on_alice00000000000000000000000001",
};
const dm = { id: "oc_dm_alice", type: "p2p" as const };
const group = { id: "oc_group_team", type: "group" as const };

describe("FeishuAdapter against the open platform emulator (real @larksuiteoapi/node-sdk WSClient)", () => {
  let emu: FeishuOpenPlatformEmulator;
  let adapter: FeishuAdapter | undefined;
  const abort = new AbortController();

  async function started(allowFrom?: string[]) {
    emu = new FeishuOpenPlatformEmulator();
    const baseUrl = await emu.start();
    const inbox: InboundMessage[] = [];
    adapter = new FeishuAdapter(
      { type: "feishu", appId: emu.appId, appSecret: emu.appSecret, baseUrl, dmPolicy: "pairing", allowFrom },
      { id: "fs", log: quietLog },
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

  it("gets events over the protobuf long connection, acks them, and normalises DMs, group mentions and apps", async () => {
    const { adapter, inbox } = await started([alice.unionId]);
    expect(adapter.selfId()).toEqual({ id: emu.botOpenId, name: "Clawbox" });
    const first = emu.userSends(alice, dm, "你好");
    const second = emu.userSends({ openId: "ou_bob", unionId: "on_bob" }, group, "what is this?", {
      mention: true,
    });
    emu.userSends({ openId: "ou_app", unionId: "on_app" }, group, "automated", { senderType: "app" });
    await until(() => inbox.length === 3 && emu.acked.size === 3, "three acked events");
    // union_id named in allowFrom is the sender id; otherwise the open_id.
    expect(inbox[0]).toMatchObject({
      id: first,
      chatId: dm.id,
      senderId: alice.unionId,
      isDirect: true,
      text: "你好",
    });
    expect(inbox[0]?.threadId).toBeUndefined();
    expect(inbox[1]).toMatchObject({
      id: second,
      senderId: "ou_bob",
      isDirect: false,
      mentionsBot: true,
      text: "what is this?",
    });
    expect(inbox[1]?.threadId).toBe(second);
    expect(inbox[2]).toMatchObject({ isBot: true, mentionsBot: false });
  });

  it("sends to a chat, replies in groups, streams by update, and a retried uuid sends once", async () => {
    const { adapter } = await started();
    const asked = emu.userSends(alice, group, "hi", { mention: true });
    const id = await adapter.send({ chatId: dm.id, text: "hello 世界", outboxId: "fs/oc_dm/1/0" });
    await adapter.edit(dm.id, id, "hello again");
    const replyId = await adapter.send({ chatId: group.id, threadId: asked, text: "answer" });
    expect(emu.sent.map((m) => [m.chatId, m.text, m.replyTo ?? null, m.edits])).toEqual([
      [dm.id, "hello again", null, 1],
      [group.id, "answer", asked, 0],
    ]);
    expect(replyId).not.toBe(id);
    // The answer to a send is lost after Feishu sent it: the retry with the same uuid adds nothing.
    emu.failNext({ kind: "cut-after" });
    await expect(adapter.send({ chatId: dm.id, text: "once", outboxId: "fs/oc_dm/2/0" })).rejects.toThrow();
    const again = await adapter.send({ chatId: dm.id, text: "once", outboxId: "fs/oc_dm/2/0" });
    expect(emu.sentTo(dm.id).map((m) => m.text)).toEqual(["hello again", "once"]);
    expect(emu.sentTo(dm.id)[1]?.messageId).toBe(again);
    expect(idempotencyKey("fs/oc_dm/2/0")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("maps 429 / 99991400 to a rate limit the send queue waits out", async () => {
    const { adapter } = await started();
    emu.failNext({ kind: "rate-limit", resetSeconds: 1 });
    await expect(adapter.send({ chatId: dm.id, text: "x" })).rejects.toBeInstanceOf(RateLimitedError);
    emu.failNext({ kind: "rate-limit", resetSeconds: 1 });
    const queue = new SendQueue();
    const t0 = Date.now();
    await queue.run(dm.id, () => adapter.send({ chatId: dm.id, text: "after the wait" }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(emu.sentTo(dm.id).map((m) => m.text)).toEqual(["after the wait"]);
  });

  it("reconnects the long connection and gets the events it missed", async () => {
    const { inbox } = await started();
    emu.refuseConnections = true;
    emu.dropConnections();
    await until(() => emu.connections === 0, "dropped");
    emu.userSends(alice, dm, "while away");
    emu.refuseConnections = false;
    await until(() => inbox.length === 1, "event after the reconnect", 15_000);
    expect(inbox[0]?.text).toBe("while away");
  });

  it("test connection: wrong secret is auth, a dead host unreachable", async () => {
    emu = new FeishuOpenPlatformEmulator();
    const baseUrl = await emu.start();
    const good = await expectAuthThenUnreachable(
      "fs",
      { type: "feishu", appId: emu.appId, appSecret: emu.appSecret, baseUrl, dmPolicy: "pairing" },
      { appSecret: "wrong-secret-123" },
      { baseUrl: "http://127.0.0.1:1" },
      quietLog,
    );
    expect(good).toMatchObject({ ok: true, botId: emu.botOpenId });
  });
});
