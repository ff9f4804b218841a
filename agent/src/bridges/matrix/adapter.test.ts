import { afterEach, describe, expect, it } from "vitest";
import { MatrixHomeserverEmulator } from "../../../../test/bridges/emulators/matrix-homeserver.js";
import { until } from "../../../../test/support/until.js";
import { UserError } from "../../errors.js";
import { type BridgeLogger, type InboundMessage, PermanentSendError, RateLimitedError } from "../types.js";
import { MatrixAdapter } from "./adapter.js";

const quietLog: BridgeLogger = { info() {}, warn() {}, error() {}, debug() {} };
const DM = "!dm:emulated.test";
const GROUP = "!group:emulated.test";
const ALICE = "@alice:emulated.test";
const BOB = "@bob:emulated.test";

const waitFor = (cond: () => boolean, what: string, ms = 30_000) => until(cond, what, ms);

describe("MatrixAdapter against the client-server emulator (real matrix-js-sdk 37.5)", () => {
  let emu: MatrixHomeserverEmulator;
  let adapter: MatrixAdapter | undefined;
  const abort = new AbortController();

  async function started(credentials: { accessToken?: string; password?: string } = {}) {
    emu = new MatrixHomeserverEmulator([
      { roomId: DM, members: [ALICE, "@clawbox:emulated.test"] },
      { roomId: GROUP, members: [ALICE, BOB, "@clawbox:emulated.test"] },
    ]);
    const homeserverUrl = await emu.start();
    const inbox: InboundMessage[] = [];
    const auth =
      credentials.accessToken || credentials.password ? credentials : { accessToken: emu.accessToken };
    adapter = new MatrixAdapter(
      { type: "matrix", homeserverUrl, userId: emu.botUserId, ...auth, dmPolicy: "pairing" },
      { id: "mx", log: quietLog },
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

  it("logs in with a password, syncs, and normalises DM, group mention and its own echo", async () => {
    const { adapter, inbox } = await started({ password: "correct horse" });
    expect(adapter.selfId()).toEqual({ id: emu.botUserId, name: "clawbox" });
    emu.userSends(DM, ALICE, "hello there");
    emu.userSends(GROUP, BOB, "clawbox: what is the capital of France?");
    emu.userSends(GROUP, BOB, "just chatting");
    await waitFor(() => inbox.length === 3, "three messages");
    expect(inbox[0]).toMatchObject({
      chatId: DM,
      senderId: ALICE,
      isDirect: true,
      mentionsBot: true,
      text: "hello there",
    });
    expect(inbox[1]).toMatchObject({ chatId: GROUP, senderId: BOB, isDirect: false, mentionsBot: true });
    expect(inbox[2]).toMatchObject({ isDirect: false, mentionsBot: false });
    await adapter.send({ chatId: DM, text: "echo test" });
    await waitFor(() => inbox.length === 4, "own echo");
    expect(inbox[3]).toMatchObject({ senderId: emu.botUserId, isBot: true });
  });

  it("sends, edits with m.replace (edits are not re-delivered as messages) and types", async () => {
    const { adapter, inbox } = await started();
    const eventId = await adapter.send({ chatId: DM, text: "draft" });
    await adapter.edit(DM, eventId, "final answer");
    await adapter.typing(DM);
    expect(emu.sentTo(DM).map((m) => [m.eventId, m.history])).toEqual([[eventId, ["draft", "final answer"]]]);
    expect(emu.typing).toEqual([{ roomId: DM, typing: true }]);
    await waitFor(() => inbox.length >= 1, "echo");
    await new Promise((r) => setTimeout(r, 300));
    expect(inbox.map((m) => m.text)).toEqual(["draft"]);
  });

  it("a send retried with the same outbox id after a lost response posts once (txnId idempotency)", async () => {
    const { adapter } = await started();
    emu.failNext("send", { kind: "cut-after" });
    const outbound = { chatId: GROUP, text: "exactly once", outboxId: "outbox-42" };
    const first = await adapter.send(outbound).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(Error);
    expect(first).not.toBeInstanceOf(PermanentSendError);
    const eventId = await adapter.send(outbound);
    expect(emu.sentTo(GROUP).map((m) => [m.eventId, m.txnId, m.body])).toEqual([
      [eventId, "outbox-42", "exactly once"],
    ]);
  });

  it("waits out a short M_LIMIT_EXCEEDED; a long retry_after_ms becomes RateLimitedError", async () => {
    const { adapter } = await started();
    emu.failNext("send", { kind: "429", retryAfterMs: 300 });
    await adapter.send({ chatId: DM, text: "after a pause" });
    expect(emu.calls.get("send")).toBe(2);
    expect(emu.sentTo(DM).map((m) => m.body)).toEqual(["after a pause"]);
    emu.failNext("send", { kind: "429", retryAfterMs: 30_000 });
    const err = await adapter.send({ chatId: GROUP, text: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(30_000);
    expect(emu.sentTo(GROUP)).toEqual([]);
  });

  it("keeps its since token across a network cut: a message sent meanwhile arrives exactly once", async () => {
    const { inbox } = await started();
    emu.userSends(DM, ALICE, "before");
    await waitFor(() => inbox.length === 1, "first message");
    emu.cutConnections();
    emu.userSends(DM, ALICE, "during");
    await waitFor(() => inbox.length >= 2, "message after the cut");
    await new Promise((r) => setTimeout(r, 500));
    expect(inbox.map((m) => m.text)).toEqual(["before", "during"]);
  });

  it("explains a rejected token and a wrong password", async () => {
    const err = await started({ accessToken: "nope" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe("bridge_bad_token");
    await emu.stop();
    const err2 = await started({ password: "wrong" }).catch((e: unknown) => e);
    expect((err2 as UserError).message).toContain("password");
  });
  it("explains an unreachable server as a UserError", async () => {
    const probe = new (await import("node:net")).Server();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const gone = `http://127.0.0.1:${port}`;
    emu = new MatrixHomeserverEmulator([]);
    adapter = new MatrixAdapter(
      {
        type: "matrix",
        homeserverUrl: gone,
        userId: "@clawbox:emulated.test",
        accessToken: "syt_x",
        dmPolicy: "pairing",
      },
      { id: "x", log: quietLog },
    );
    const err = await adapter.start(abort.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe("bridge_unreachable");
  });
});
