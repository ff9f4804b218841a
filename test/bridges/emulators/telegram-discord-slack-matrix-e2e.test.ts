import { describe, expect, it } from "vitest";
import { DiscordAdapter } from "../../../agent/src/bridges/discord/adapter.js";
import { MatrixAdapter } from "../../../agent/src/bridges/matrix/adapter.js";
import { SlackAdapter } from "../../../agent/src/bridges/slack/adapter.js";
import { TelegramAdapter } from "../../../agent/src/bridges/telegram/adapter.js";
import {
  gatedEnding,
  silentLog as log,
  type PlatformDriver,
  pairAnswerAndSplit,
  SwitchableInference,
  useTestModel,
  waitFor,
  withBridge,
} from "../kit/cloud-e2e.js";
import { DiscordApiEmulator } from "./discord-api.js";
import { MatrixHomeserverEmulator } from "./matrix-homeserver.js";
import { SlackApiEmulator } from "./slack-api.js";
import { TelegramBotApiEmulator } from "./telegram-bot-api.js";

/**
 * Each cloud bridge end to end: emulator ← real client library ← our adapter ← BridgeRunner (router, access
 * policy with pairing, outbox in SQLite) → the real tiny test model. Senders: "1001" unknown (pairing),
 * "1002" and "1003" allowlisted.
 */

const SENDERS = ["1001", "1002", "1003"] as const;

/** One platform for this test: the shared steps' driver plus a way to cut its sends. */
interface Driver extends PlatformDriver {
  /** The next sends fail on the wire (transiently), as when the network drops mid-reply. */
  cutNextSends(): void;
}

function telegram(): Driver {
  const emu = new TelegramBotApiEmulator();
  return {
    type: "telegram",
    limit: 4096,
    start: async () => void (await emu.start()),
    stop: () => emu.stop(),
    adapter: () =>
      new TelegramAdapter(
        { type: "telegram", token: emu.token, apiRoot: emu.apiRoot, dmPolicy: "pairing" },
        { id: "tg", log },
      ),
    senderId: (s) => s,
    dm: (s, text) => void emu.userSends({ chatId: Number(s), fromId: Number(s), text }),
    replies: (s) => emu.sentTo(Number(s)).map((m) => m.text),
    // Cut before Telegram got it (Telegram has no idempotency key for sendMessage).
    cutNextSends: () => emu.failNext("sendMessage", { kind: "cut" }),
  };
}

function discord(): Driver {
  const emu = new DiscordApiEmulator();
  return {
    type: "discord",
    limit: 2000,
    start: async () => void (await emu.start()),
    stop: () => emu.stop(),
    adapter: () =>
      new DiscordAdapter(
        { type: "discord", token: emu.token, apiBase: emu.apiBase, dmPolicy: "pairing" },
        { id: "dc", log },
      ),
    senderId: (s) => `90${s}`,
    dm: (s, text) => void emu.userSends({ channelId: `50${s}`, authorId: `90${s}`, content: text }),
    replies: (s) => emu.sentTo(`50${s}`).map((m) => m.content),
    // Discord got the message but the response is lost: the outbox retry must not post it twice.
    cutNextSends: () => emu.failNext("createMessage", { kind: "cut-after" }),
  };
}

function slack(): Driver {
  const emu = new SlackApiEmulator();
  return {
    type: "slack",
    limit: 4000,
    start: async () => void (await emu.start()),
    stop: () => emu.stop(),
    adapter: () =>
      new SlackAdapter(
        {
          type: "slack",
          botToken: emu.botToken,
          appToken: emu.appToken,
          apiUrl: emu.apiUrl,
          dmPolicy: "pairing",
        },
        { id: "sl", log },
      ),
    senderId: (s) => `U${s}`,
    dm: (s, text) => void emu.userSends({ channel: `D${s}`, user: `U${s}`, text }),
    replies: (s) => emu.sentTo(`D${s}`).map((m) => m.text),
    // Cut before Slack got them (no idempotency key on chat.postMessage); web-api tries 3 times.
    cutNextSends: () => {
      for (let i = 0; i < 3; i++) emu.failNext("chat.postMessage", { kind: "cut-before" });
    },
  };
}

function matrix(): Driver {
  const user = (s: string) => `@u${s}:emulated.test`;
  const room = (s: string) => `!dm${s}:emulated.test`;
  const emu = new MatrixHomeserverEmulator(
    SENDERS.map((s) => ({ roomId: room(s), members: [user(s), "@clawbox:emulated.test"] })),
  );
  return {
    type: "matrix",
    limit: 16_000,
    start: async () => void (await emu.start()),
    stop: () => emu.stop(),
    adapter: () =>
      new MatrixAdapter(
        {
          type: "matrix",
          homeserverUrl: emu.baseUrl,
          userId: emu.botUserId,
          accessToken: emu.accessToken,
          dmPolicy: "pairing",
        },
        { id: "mx", log },
      ),
    senderId: user,
    dm: (s, text) => void emu.userSends(room(s), user(s), text),
    replies: (s) => emu.sentTo(room(s)).map((m) => m.body),
    // The homeserver stored the event but the response is lost: the same txnId must not post twice.
    cutNextSends: () => emu.failNext("send", { kind: "cut-after" }),
  };
}

const model = useTestModel();

describe.each([
  ["telegram", telegram],
  ["discord", discord],
  ["slack", slack],
  ["matrix", matrix],
] as const)("%s bridge end to end", (_name, makeDriver) => {
  it("pairs, answers with the model, splits at the limit and delivers across a cut exactly once", {
    timeout: 180_000,
  }, async () => {
    const driver = makeDriver();
    const inference = new SwitchableInference(model());
    await withBridge(driver, inference, async (runner) => {
      // 1–3. Pairing, the model's answer after approval, a long reply split at the limit.
      await pairAnswerAndSplit(driver, runner, inference);

      // 4. The connection drops while the reply is being sent: after the retry it arrives exactly once.
      // (The retry comes from the runner's periodic outbox flush: no reconnect happens.)
      const ending = gatedEnding();
      inference.current = ending.service;
      await driver.dm("1003", "how does it end?");
      await waitFor(() => ending.service.requests.length === 1, "generation started");
      driver.cutNextSends();
      ending.open();
      await waitFor(
        () => driver.replies("1003").length >= 1 && runner.outbox.pending(driver.type).length === 0,
        "delivery after cut",
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(driver.replies("1003")).toEqual(["The end of the story."]);
    });
  });
});
