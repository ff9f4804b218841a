import { afterEach, describe, expect, it } from "vitest";
import { DiscordApiEmulator } from "../../../../test/bridges/emulators/discord-api.js";
import { until } from "../../../../test/support/until.js";
import { UserError } from "../../errors.js";
import { type BridgeLogger, type InboundMessage, PermanentSendError, RateLimitedError } from "../types.js";
import { DiscordAdapter } from "./adapter.js";

const quietLog: BridgeLogger = { info() {}, warn() {}, error() {}, debug() {} };

const waitFor = (cond: () => boolean, what: string, ms = 20_000) => until(cond, what, ms);

describe("DiscordAdapter against the REST + gateway emulator (real discord.js)", () => {
  let emu: DiscordApiEmulator;
  let adapter: DiscordAdapter | undefined;
  const abort = new AbortController();

  async function started(options: ConstructorParameters<typeof DiscordApiEmulator>[0] = {}) {
    emu = new DiscordApiEmulator(options);
    const apiBase = await emu.start();
    const inbox: InboundMessage[] = [];
    adapter = new DiscordAdapter(
      { type: "discord", token: emu.token, apiBase, dmPolicy: "pairing" },
      { id: "dc", log: quietLog },
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

  it("identifies, then normalises a DM, a group mention and a bot message", async () => {
    const { adapter, inbox } = await started();
    expect(adapter.selfId()).toEqual({ id: emu.botId, name: emu.botUsername });
    expect(emu.identifies).toBe(1);
    emu.userSends({ channelId: "500", authorId: "900", username: "alice", content: "hi there" });
    emu.userSends({
      channelId: "600",
      guildId: "700",
      authorId: "901",
      content: `<@${emu.botId}> summarise this`,
      mentionsBot: true,
    });
    emu.userSends({ channelId: "600", guildId: "700", authorId: "902", bot: true, content: "beep" });
    await waitFor(() => inbox.length === 3, "three messages").catch((e: Error) => {
      throw new Error(`${e.message}; got ${JSON.stringify(inbox.map((m) => m.text))}`);
    });
    expect(inbox[0]).toMatchObject({ chatId: "500", senderId: "900", senderName: "alice", isDirect: true });
    expect(inbox[0]?.text).toBe("hi there");
    expect(inbox[1]).toMatchObject({
      chatId: "600",
      isDirect: false,
      mentionsBot: true,
      text: "summarise this",
    });
    expect(inbox[2]).toMatchObject({ isBot: true, mentionsBot: false });
  });

  it("sends ≤ 2000 chars, edits, types; 2001 chars is a permanent error from the server", async () => {
    const { adapter } = await started();
    const id = await adapter.send({ chatId: "500", text: "a".repeat(2000) });
    await adapter.edit("500", id, "shorter");
    await adapter.typing("500");
    expect(emu.sentTo("500").map((m) => [m.id, m.history.map((h) => h.length)])).toEqual([[id, [2000, 7]]]);
    expect(emu.typingIn).toEqual(["500"]);
    const err = await adapter.send({ chatId: "500", text: "b".repeat(2001) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentSendError);
    expect(emu.sentTo("500")).toHaveLength(1);
  });

  it("resumes the gateway session after a cut; events sent meanwhile arrive exactly once", async () => {
    const { inbox } = await started();
    emu.userSends({ channelId: "500", authorId: "900", content: "one" });
    await waitFor(() => inbox.length === 1, "first message");
    emu.cutGateway();
    emu.userSends({ channelId: "500", authorId: "900", content: "two" });
    await waitFor(() => emu.resumes === 1 && inbox.length >= 2, "resume and replay");
    emu.userSends({ channelId: "500", authorId: "900", content: "three" });
    await waitFor(() => inbox.length >= 3, "message after resume");
    expect(inbox.map((m) => m.text)).toEqual(["one", "two", "three"]);
    expect(emu.identifies).toBe(1);
    // discord.js keeps heartbeating on the resumed connection (HELLO said every 1000 ms); each is ACKed.
    const before = emu.heartbeats;
    await waitFor(() => emu.heartbeats >= before + 2, "heartbeats after resume");
  });

  it("a send whose response was lost, retried by the outbox with the same id, is posted once", async () => {
    const { adapter } = await started();
    emu.failNext("createMessage", { kind: "cut-after" });
    const outbound = { chatId: "500", text: "only once", outboxId: "outbox-row-17" };
    const first = await adapter.send(outbound).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(Error);
    expect(first).not.toBeInstanceOf(PermanentSendError);
    const id = await adapter.send(outbound);
    expect(emu.calls.get("createMessage")).toBe(2);
    expect(emu.sentTo("500").map((m) => [m.id, m.content, m.nonce])).toEqual([
      [id, "only once", "outbox-row-17"],
    ]);
  });

  it("waits out a short 429 itself; a long one becomes RateLimitedError with its retry_after", async () => {
    const { adapter } = await started();
    emu.failNext("createMessage", { kind: "429", retryAfter: 0.5 });
    await adapter.send({ chatId: "500", text: "after a short wait" });
    expect(emu.sentTo("500").map((m) => m.content)).toEqual(["after a short wait"]);
    emu.failNext("createMessage", { kind: "429", retryAfter: 60 });
    const err = await adapter.send({ chatId: "501", text: "later" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBeGreaterThan(10_000);
    expect(emu.sentTo("501")).toEqual([]);
  });

  it("explains a missing MessageContent intent and a bad token", async () => {
    const err = await started({ privilegedIntents: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe("bridge_missing_intent");
    expect((err as UserError).fix).toContain("MESSAGE CONTENT INTENT");
    await emu.stop();
    emu = new DiscordApiEmulator();
    const apiBase = await emu.start();
    adapter = new DiscordAdapter(
      { type: "discord", token: "wrong", apiBase, dmPolicy: "pairing" },
      { id: "dc", log: quietLog },
    );
    const err2 = await adapter.start(abort.signal).catch((e: unknown) => e);
    expect((err2 as UserError).code).toBe("bridge_bad_token");
  });
  it("explains an unreachable server as a UserError", async () => {
    const probe = new (await import("node:net")).Server();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const gone = `http://127.0.0.1:${port}/api`;
    emu = new DiscordApiEmulator();
    adapter = new DiscordAdapter(
      { type: "discord", token: emu.token, apiBase: gone, dmPolicy: "pairing" },
      { id: "x", log: quietLog },
    );
    const err = await adapter.start(abort.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe("bridge_unreachable");
  });
});
