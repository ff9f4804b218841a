import { simpleParser } from "mailparser";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BridgeManager } from "../../agent/src/bridges/bridge-manager.js";
import { startDovecot, type TestDovecot } from "./kit/dovecot.js";
import type { GatedInference } from "./kit/gated-inference.js";
import { squash, startModelBridges, until } from "./kit/model-bridges.js";
import { type SmtpSink, startSmtpSink } from "./kit/smtp-sink.js";

/** Characters per reply mail in this test: small, so the story model's answers are split. */
const MAX_CHARS = 300;
let dovecot: TestDovecot;
let sink: SmtpSink;
let n = 0;

/** Delivers a mail to bot@localhost through Dovecot's LMTP, as the receiving MTA would. */
async function deliver(
  from: string,
  text: string,
  opts: { dkim?: boolean; headers?: string } = {},
): Promise<string> {
  const id = `<t${++n}@example.org>`;
  const auth = opts.dkim
    ? "Authentication-Results: mx.test; dkim=pass header.d=example.org header.s=s1\r\n"
    : "";
  const raw = `${auth}From: ${from}\r\nTo: bot@localhost\r\nSubject: question ${n}\r\nMessage-ID: ${id}\r\n${opts.headers ?? ""}\r\n${text}\r\n`;
  const lmtp = nodemailer.createTransport({
    host: "127.0.0.1",
    port: dovecot.lmtpPort,
    lmtp: true,
    ignoreTLS: true,
  });
  await lmtp.sendMail({ envelope: { from, to: ["bot@localhost"] }, raw });
  lmtp.close();
  return id;
}

/** Replies the sink received for `to`, parsed. */
async function repliesTo(to: string) {
  const mails = sink.mails.filter((m) => m.to.includes(to));
  return Promise.all(mails.map((m) => simpleParser(m.data)));
}

let inference: GatedInference;
let manager: BridgeManager;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  dovecot = await startDovecot({ bot: "bot-mail-password" });
  sink = await startSmtpSink();
  ({ inference, manager, close } = await startModelBridges({
    mail: {
      type: "email",
      address: "bot@localhost",
      imap: {
        host: "127.0.0.1",
        port: dovecot.imapPort,
        secure: false,
        user: "bot",
        password: "bot-mail-password",
      },
      smtp: { host: "127.0.0.1", port: sink.port, secure: false },
      authservId: "mx.test",
      dmPolicy: "pairing",
      maxTextLength: MAX_CHARS,
    },
  }));
  await until(() => manager.runner("mail")?.status().state === "connected", "IMAP connected");
});

afterAll(async () => {
  await close?.();
  await sink?.close();
  await dovecot?.stop();
});

describe("e-mail bridge against Dovecot (IMAP IDLE + LMTP) and an SMTP sink", () => {
  it("ignores unverified senders and automated mail", async () => {
    await deliver("mallory@example.org", "hello");
    await deliver("alice@example.org", "I am away", {
      dkim: true,
      headers: "Auto-Submitted: auto-replied\r\n",
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(sink.mails).toEqual([]);
    expect(inference.requests).toHaveLength(0);
  });

  it("pairs a DKIM-verified sender, answers in thread after approval, and delivers after an SMTP outage once", async () => {
    const first = await deliver("alice@example.org", "hello", { dkim: true });
    const parsed = await until(async () => (await repliesTo("alice@example.org"))[0], "pairing mail");
    const code = parsed.text?.match(/code is ([A-HJ-NP-Z2-9]{8})/)?.[1] ?? "";
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    expect(parsed.inReplyTo).toBe(first);
    expect(parsed.headers.get("auto-submitted")).toBe("auto-replied");
    expect(inference.requests).toHaveLength(0);
    manager.runner("mail")?.pairing.approve("mail", code);
    sink.mails.length = 0;

    await deliver("alice@example.org", "Tell me a story about a bird.", { dkim: true });
    await until(() => inference.results.length === 1, "the model's answer", 60_000);
    const story = squash(inference.results[0]?.text ?? "");
    let bodies: string[] = [];
    await until(async () => {
      bodies = (await repliesTo("alice@example.org")).map((m) => squash(m.text ?? ""));
      return squash(bodies.join(" ")) === story;
    }, "whole answer by mail").catch(() => {
      throw new Error(`answer mismatch: ${JSON.stringify({ story, bodies })}`);
    });
    for (const b of bodies) expect(b.length).toBeLessThanOrEqual(MAX_CHARS);

    sink.mails.length = 0;
    inference.hold();
    await deliver("alice@example.org", "Once upon a time", { dkim: true });
    await until(() => inference.requests.length === 2, "generation started");
    sink.refuse = true; // the SMTP server is down when the reply is ready
    inference.release();
    await until(() => inference.results.length === 2, "second answer", 60_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.mails).toEqual([]);
    sink.refuse = false;
    const second = squash(inference.results[1]?.text ?? "");
    await until(
      async () =>
        squash((await repliesTo("alice@example.org")).map((m) => m.text ?? "").join(" ")) === second,
      "reply after the outage",
    );
    await new Promise((r) => setTimeout(r, 1000));
    const again = await repliesTo("alice@example.org");
    expect(squash(again.map((m) => m.text ?? "").join(" "))).toBe(second);
  });
});
