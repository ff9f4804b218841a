/// <reference path="../../agent/src/bridges/xmpp/xmpp-client.d.ts" />
import { client, type XmlElement, type XmppClient, xml } from "@xmpp/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BridgeManager } from "../../agent/src/bridges/bridge-manager.js";
import type { GatedInference } from "./kit/gated-inference.js";
import { squash, startModelBridges, until } from "./kit/model-bridges.js";
import { startProsody, type TestProsody } from "./kit/prosody.js";
import { startTcpProxy, type TcpProxy } from "./kit/tcp-proxy.js";

/** Characters per message in this test: small, so the story model's answers are always split. */
const MAX_CHARS = 120;
let prosody: TestProsody;
let proxy: TcpProxy;
const people: XmppClient[] = [];

/** A person with an XMPP account, collecting the bot's message bodies. */
async function person(name: string, password: string) {
  const c = client({
    service: `xmpp://127.0.0.1:${prosody.port}`,
    domain: "localhost",
    username: name,
    password,
  });
  c.reconnect.stop();
  c.on("error", () => {});
  people.push(c);
  const heard: string[] = [];
  c.on("stanza", (s: XmlElement) => {
    const body = s.is("message") ? s.getChildText("body") : null;
    if (body !== null && s.attrs.from?.startsWith("clawbox@localhost")) heard.push(body);
  });
  await c.start();
  await c.send(xml("presence"));
  let n = 0;
  const say = (text: string) =>
    c.send(
      xml("message", { to: "clawbox@localhost", type: "chat", id: `${name}-${++n}` }, xml("body", {}, text)),
    );
  return { heard, say };
}

let inference: GatedInference;
let manager: BridgeManager;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  prosody = await startProsody({ clawbox: "bot-password-1", alice: "alice-password-1" });
  proxy = await startTcpProxy(prosody.port);
  ({ inference, manager, close } = await startModelBridges({
    jabber: {
      type: "xmpp",
      service: `xmpp://127.0.0.1:${proxy.port}`,
      domain: "localhost",
      username: "clawbox",
      password: "bot-password-1",
      dmPolicy: "pairing",
      maxTextLength: MAX_CHARS,
    },
  }));
  await until(() => manager.runner("jabber")?.status().state === "connected", "bot online");
});

afterAll(async () => {
  for (const p of people) await p.stop().catch(() => {});
  await close?.();
  await proxy?.close();
  await prosody?.stop();
});

describe("XMPP bridge against Prosody", () => {
  it("pairs an unknown JID, answers with the model after approval, splits, and survives a cut once", async () => {
    const alice = await person("alice", "alice-password-1");
    await alice.say("hello");
    const code = await until(
      () => alice.heard.join(" ").match(/code is ([A-HJ-NP-Z2-9]{8})/),
      "pairing code",
    );
    expect(inference.requests).toHaveLength(0);
    const runner = manager.runner("jabber");
    expect(runner?.pairing.list("jabber").map((p) => p.senderId)).toEqual(["alice@localhost"]);
    // The pairing text is longer than MAX_CHARS: wait for its last piece before listening for answers.
    await until(() => alice.heard.join(" ").includes(`approve jabber ${code[1]}`), "whole pairing reply");
    runner?.pairing.approve("jabber", code[1] as string);

    alice.heard.length = 0;
    await alice.say("Tell me a story about a dog.");
    await until(() => inference.results.length === 1, "the model's answer", 60_000);
    const story = squash(inference.results[0]?.text ?? "");
    await until(() => squash(alice.heard.join(" ")) === story, "whole answer over XMPP").catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify({ story, heard: alice.heard })}`);
    });
    if (story.length > MAX_CHARS) expect(alice.heard.length).toBeGreaterThan(1);
    for (const m of alice.heard) expect(m.length).toBeLessThanOrEqual(MAX_CHARS);

    alice.heard.length = 0;
    inference.hold();
    await alice.say("Once upon a time");
    await until(() => inference.requests.length === 2, "generation started");
    proxy.cut();
    await until(() => manager.runner("jabber")?.status().state !== "connected", "bot noticed the drop");
    inference.release();
    await until(() => inference.results.length === 2, "second answer", 60_000);
    const second = squash(inference.results[1]?.text ?? "");
    await until(() => squash(alice.heard.join(" ")) === second, "reply after reconnect", 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(squash(alice.heard.join(" "))).toBe(second);
    expect(manager.runner("jabber")?.outbox.pending("jabber")).toEqual([]);
  });
});
