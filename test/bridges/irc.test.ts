/// <reference path="../../agent/src/bridges/irc/irc-framework.d.ts" />
import IRC, { type Client, type IrcMessageEvent } from "irc-framework";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BridgeManager } from "../../agent/src/bridges/bridge-manager.js";
import type { GatedInference } from "./kit/gated-inference.js";
import { squash, startModelBridges, until } from "./kit/model-bridges.js";
import { startNgircd, type TestIrcd } from "./kit/ngircd.js";
import { startTcpProxy, type TcpProxy } from "./kit/tcp-proxy.js";

/** Bytes per IRC line in this test: small, so the story model's answers are always split. */
const LINE_BYTES = 100;
let ircd: TestIrcd;
let proxy: TcpProxy;
const clients: Client[] = [];

/**
 * A person on IRC (ident `ident`, "" = unverified), collecting what the bot `bot` says to them. Two bots run:
 * `clawbox` identifies senders by verified user@host, `clawbox-acct` by services account (the default,
 * which ngIRCd, having no services, never provides).
 */
async function person(nick: string, ident: string, bot = "clawbox") {
  ircd.setNextIdent(ident);
  const c = new IRC.Client({ auto_reconnect: false });
  clients.push(c);
  const heard: string[] = [];
  c.on("privmsg", (e: IrcMessageEvent) => {
    if (e.nick === bot) heard.push(e.message);
  });
  await new Promise<void>((resolve) => {
    c.once("registered", () => resolve());
    c.connect({ host: "127.0.0.1", port: ircd.port, nick, username: nick });
  });
  return { heard, say: (text: string) => c.say(bot, text) };
}

let inference: GatedInference;
let manager: BridgeManager;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ircd = await startNgircd();
  proxy = await startTcpProxy(ircd.port);
  ircd.setNextIdent("clawbox");
  ({ inference, manager, close } = await startModelBridges({
    "irc-lan": {
      type: "irc",
      host: "127.0.0.1",
      port: proxy.port,
      tls: false,
      nick: "clawbox",
      identity: "verified-user",
      dmPolicy: "pairing",
      maxLineBytes: LINE_BYTES,
    },
    "irc-account": {
      type: "irc",
      host: "127.0.0.1",
      port: ircd.port,
      tls: false,
      nick: "clawbox-acct",
      dmPolicy: "pairing",
    },
  }));
  await until(() => manager.runner("irc-lan")?.status().state === "connected", "bot connected");
  await until(() => manager.runner("irc-account")?.status().state === "connected", "second bot connected");
});

afterAll(async () => {
  for (const c of clients) c.quit();
  await close?.();
  await proxy?.close();
  await ircd?.stop();
});

describe("IRC bridge against ngIRCd", () => {
  it("refuses a sender without a verified identity, telling them once what to do", async () => {
    const mallory = await person("mallory", "");
    mallory.say("hello");
    await until(() => mallory.heard.join(" ").includes("write again"), "identity help");
    expect(mallory.heard.join(" ")).toMatch(/could not verify your user name/);
    const once = mallory.heard.length;
    mallory.say("hello again");
    await new Promise((r) => setTimeout(r, 500));
    expect(mallory.heard).toHaveLength(once);
    expect(manager.runner("irc-lan")?.pairing.list("irc-lan")).toEqual([]);
    expect(inference.requests).toHaveLength(0);
  });

  it("on a server without services, identity: account warns the owner and tells strangers to identify", async () => {
    expect(manager.runner("irc-account")?.status().warnings).toEqual([
      expect.stringMatching(/offers no account identity .*identity: verified-user/),
    ]);
    const bob = await person("bob", "bob", "clawbox-acct");
    bob.say("hello");
    await until(() => bob.heard.join(" ").includes("write again"), "identity help");
    expect(bob.heard.join(" ")).toMatch(/NickServ IDENTIFY/);
    expect(manager.runner("irc-account")?.pairing.list("irc-account")).toEqual([]);
    expect(inference.requests).toHaveLength(0);
  });

  it("gives an unknown verified sender a pairing code only, and answers after approval", async () => {
    const alice = await person("alice", "alice");
    alice.say("hello");
    const line = await until(
      () => alice.heard.join(" ").match(/code is ([A-HJ-NP-Z2-9]{8})/),
      "pairing code",
    );
    expect(inference.requests).toHaveLength(0);
    const runner = manager.runner("irc-lan");
    // ident user + the host as ngIRCd resolved it (localhost or 127.0.0.1)
    expect(runner?.pairing.list("irc-lan").map((p) => p.senderId)).toEqual([
      expect.stringMatching(/^alice@/),
    ]);
    // The pairing text spans several lines: wait for the last before listening for answers.
    await until(() => alice.heard.join(" ").includes(`approve irc-lan ${line[1]}`), "whole pairing reply");
    runner?.pairing.approve("irc-lan", line[1] as string);
    // Approved: the model answers, split into lines of at most LINE_BYTES bytes.
    alice.heard.length = 0;
    alice.say("Tell me a story about a cat.");
    await until(() => inference.results.length === 1, "the model's answer", 60_000);
    const story = squash(inference.results[0]?.text ?? "");
    expect(story.length).toBeGreaterThan(0);
    await until(() => squash(alice.heard.join(" ")) === story, "whole answer on IRC");
    if (Buffer.byteLength(story) > LINE_BYTES) expect(alice.heard.length).toBeGreaterThan(1);
    for (const l of alice.heard) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(LINE_BYTES);

    // Cut the bot's connection while the answer is being generated: it arrives after the reconnect, once.
    alice.heard.length = 0;
    inference.hold();
    alice.say("Once upon a time");
    await until(() => inference.requests.length === 2, "generation started");
    const before = manager.runner("irc-lan")?.status().connectedAt;
    proxy.cut();
    // Noticed: down, or already connected again (a fresh connectedAt) — on a loaded machine the reconnect
    // can complete between two polls.
    await until(() => {
      const s = manager.runner("irc-lan")?.status();
      return s && (s.state !== "connected" || s.connectedAt !== before);
    }, "bot noticed the drop");
    inference.release();
    await until(() => inference.results.length === 2, "second answer", 60_000);
    const second = squash(inference.results[1]?.text ?? "");
    await until(() => squash(alice.heard.join(" ")) === second, "reply after reconnect", 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(squash(alice.heard.join(" "))).toBe(second);
    expect(manager.runner("irc-lan")?.outbox.pending("irc-lan")).toEqual([]);
  });
});
