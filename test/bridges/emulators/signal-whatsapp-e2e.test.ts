import { describe, expect, it } from "vitest";
import { SignalAdapter } from "../../../agent/src/bridges/signal/adapter.js";
import { WhatsAppAdapter } from "../../../agent/src/bridges/whatsapp/adapter.js";
import {
  type CuttableDriver,
  silentLog as log,
  pairAnswerSplitAndCut,
  SwitchableInference,
  useTestModel,
  waitFor,
  withBridge,
} from "../kit/cloud-e2e.js";
import { squash } from "../kit/model-bridges.js";
import { SignalCliEmulator, type SignalUser } from "./signal-cli.js";
import { WhatsAppCloudEmulator } from "./whatsapp-cloud.js";

/**
 * Signal and WhatsApp end to end: emulator ← our adapter (plain HTTP) ← BridgeRunner (router, access policy
 * with pairing, outbox in SQLite) → the real tiny test model. Senders: "1001" unknown (pairing), "1002" and
 * "1003" allowlisted.
 */

/** One platform for this test: the shared steps' driver plus how its connection breaks and heals. */
interface Driver extends CuttableDriver {
  unit: "chars" | "bytes";
  /** Periodic outbox flush of the runner; Signal's is long, so its redelivery must come from the reconnect. */
  flushIntervalMs: number;
}

function signal(): Driver {
  const emu = new SignalCliEmulator();
  const user = (s: string): SignalUser => ({
    uuid: `00000000-0000-4000-8000-00000000${s}`,
    number: `+49151000${s}`,
    name: `User ${s}`,
  });
  return {
    type: "signal",
    limit: 2000,
    unit: "bytes",
    flushIntervalMs: 600_000,
    start: async () => void (await emu.start()),
    connected: () => {},
    stop: () => emu.stop(),
    adapter: () =>
      new SignalAdapter(
        { type: "signal", url: emu.url, account: emu.account, dmPolicy: "pairing" },
        { id: "signal", log },
        { backoff: { baseMs: 20, maxMs: 200 } },
      ),
    senderId: (s) => user(s).uuid,
    dm: async (s, text) => void emu.userSends(user(s), text),
    replies: (s) => emu.sentTo(user(s).uuid).map((m) => m.text),
    // The daemon's stream drops and stays down; the reply's send is cut before signal-cli got it.
    cut: () => {
      emu.holdStreams();
      emu.dropStreams();
      emu.failNext("send", { kind: "cut-before" });
    },
    restore: () => emu.releaseStreams(),
    inboundCut: true,
  };
}

function whatsapp(): Driver {
  const emu = new WhatsAppCloudEmulator();
  const waId = (s: string) => `49151000${s}`;
  return {
    type: "whatsapp",
    limit: 4096,
    unit: "chars",
    flushIntervalMs: 1_000,
    start: async () => void (await emu.start()),
    connected: (adapter) => {
      emu.webhookUrl = `http://127.0.0.1:${(adapter as WhatsAppAdapter).address()?.port}/webhook`;
    },
    stop: () => emu.stop(),
    adapter: () =>
      new WhatsAppAdapter(
        {
          type: "whatsapp",
          dmPolicy: "pairing",
          phoneNumberId: emu.phoneNumberId,
          accessToken: emu.accessToken,
          appSecret: emu.appSecret,
          verifyToken: "verify-token-123",
          listenHost: "127.0.0.1",
          listenPort: 0,
          graphApiUrl: emu.graphApiUrl,
        },
        { id: "whatsapp", log },
      ),
    senderId: waId,
    dm: async (s, text) => {
      expect((await emu.userSends(waId(s), text)).status).toBe(200);
    },
    replies: (s) => emu.sentTo(waId(s)).map((m) => m.text),
    // Graph API unreachable for the reply: the send fails on the wire (WhatsApp has no idempotency key,
    // so the cut is before Meta got it); the outbox retries.
    cut: () => emu.failNext({ kind: "cut-before" }),
    restore: () => {},
    inboundCut: false,
  };
}

const model = useTestModel();

describe.each([
  ["signal", signal],
  ["whatsapp", whatsapp],
] as const)("%s bridge end to end", (_name, makeDriver) => {
  it("pairs, answers with the model, splits at the limit and delivers across a cut exactly once", {
    timeout: 180_000,
  }, async () => {
    // 1–3. Pairing, the model's answer after approval, a long reply split at the limit (Signal: bytes).
    // 4. The connection breaks while the reply is generated: after it is back the reply arrives once.
    // Signal: a message sent while the event stream is down comes with the replayed events, once.
    await pairAnswerSplitAndCut(makeDriver, model());
  });
});

describe("whatsapp webhooks end to end", () => {
  it("answers a redelivered webhook once, lets no unsigned or forged one reach the model, and gives up on a closed 24-hour window", {
    timeout: 120_000,
  }, async () => {
    const emu = new WhatsAppCloudEmulator();
    const base = whatsapp();
    // Same driver, but with this test's emulator in reach for raw webhook deliveries.
    const driver: Driver = {
      ...base,
      start: async () => void (await emu.start()),
      stop: () => emu.stop(),
      connected: (adapter) => {
        emu.webhookUrl = `http://127.0.0.1:${(adapter as WhatsAppAdapter).address()?.port}/webhook`;
      },
      adapter: () =>
        new WhatsAppAdapter(
          {
            type: "whatsapp",
            dmPolicy: "pairing",
            phoneNumberId: emu.phoneNumberId,
            accessToken: emu.accessToken,
            appSecret: emu.appSecret,
            verifyToken: "verify-token-123",
            listenPort: 0,
            graphApiUrl: emu.graphApiUrl,
          },
          { id: "whatsapp", log },
        ),
    };
    const inference = new SwitchableInference(model());
    const from = driver.senderId("1002");
    await withBridge(driver, inference, async (runner) => {
      expect((await emu.userSends(from, "Once upon a time", { signature: null })).status).toBe(401);
      const forged = await emu.userSends(from, "Once upon a time", { signature: emu.sign("another body") });
      expect(forged.status).toBe(401);
      const { wamid, status } = await emu.userSends(from, "Once upon a time");
      expect(status).toBe(200);
      await waitFor(
        () => inference.results.length === 1 && runner.outbox.pending("whatsapp").length === 0,
        "answer",
      );
      // Meta retries the same notification (e.g. our 200 was lost): the model is not asked again.
      expect(await emu.redeliver(wamid)).toBe(200);
      expect(await emu.redeliver(wamid)).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
      expect(inference.results).toHaveLength(1);
      const texts = emu.sentTo(from).map((m) => m.text);
      expect(squash(texts.join(" "))).toBe(squash(inference.results[0]?.text ?? ""));

      // The 24-hour window is closed (Meta answers 131047): the refusal is recorded once, never retried.
      emu.failNext({ kind: "reengagement" });
      const late = await emu.userSends(from, "Are you still there?");
      const pieceId = `whatsapp/${from}/${late.wamid}/0`;
      await waitFor(() => runner.outbox.get(pieceId)?.status === "failed", "refused reply marked failed");
      const sends = emu.calls.get("messages");
      await new Promise((r) => setTimeout(r, 2500)); // two periodic flushes (flushIntervalMs 1000)
      expect(runner.outbox.get(pieceId)).toMatchObject({ status: "failed", attempts: 1 });
      expect(runner.outbox.get(pieceId)?.lastError).toMatch(/24 hours.*131047/);
      expect(emu.calls.get("messages")).toBe(sends);
      expect(emu.sentTo(from).map((m) => m.text)).toEqual(texts);
    });
  });
});
