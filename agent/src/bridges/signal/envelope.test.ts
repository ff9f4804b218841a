import { describe, expect, it } from "vitest";
import { parseSignalEvent } from "./envelope.js";

const ACCOUNT = "+4915100000001";
const ACI = "0b7c4b2e-5a61-4c1a-9d63-1f2a3b4c5d6e";
const ALICE = { sourceUuid: "7ccae375-cd51-4c82-8b1e-7be3280aa485", sourceNumber: "+4915100000042" };

function event(envelope: object, extra: object = {}, form: "params" | "notification" = "params") {
  const params = { envelope: { timestamp: 1700000000000, ...envelope }, account: ACCOUNT, ...extra };
  const data = form === "params" ? params : { jsonrpc: "2.0", method: "receive", params };
  return { id: "1", event: "receive", data: JSON.stringify(data) };
}

const parse = (e: ReturnType<typeof event>, allowFrom?: string[]) =>
  parseSignalEvent(e, { account: ACCOUNT, allowFrom }, { number: ACCOUNT, aci: ACI });

describe("parseSignalEvent", () => {
  it("reads both the params form and the JSON-RPC notification form", () => {
    const dm = { ...ALICE, sourceName: "Alice", dataMessage: { timestamp: 1700000000001, message: " hi " } };
    for (const form of ["params", "notification"] as const) {
      expect(parse(event(dm, {}, form))).toEqual({
        id: `${ALICE.sourceUuid}:1700000000001`,
        chatId: ALICE.sourceUuid,
        senderId: ALICE.sourceUuid,
        senderName: "Alice",
        isDirect: true,
        mentionsBot: true,
        isBot: false,
        text: "hi",
        timestamp: 1700000000001,
      });
    }
  });

  it("skips receipts, typing, sync messages, reactions, other accounts and malformed data", () => {
    expect(parse(event({ ...ALICE, receiptMessage: { isDelivery: true } }))).toBeUndefined();
    expect(parse(event({ ...ALICE, syncMessage: { sentMessage: { message: "mine" } } }))).toBeUndefined();
    expect(
      parse(event({ ...ALICE, dataMessage: { message: null, reaction: { emoji: "👍" } } })),
    ).toBeUndefined();
    expect(
      parse(event({ ...ALICE, dataMessage: { message: "x" } }, { account: "+4915199999999" })),
    ).toBeUndefined();
    expect(parse({ id: "2", event: "receive", data: "{not json" })).toBeUndefined();
    expect(
      parse({ ...event({ ...ALICE, dataMessage: { message: "x" } }), event: "callEvent" }),
    ).toBeUndefined();
  });

  it("removes only the bot's mention placeholder and treats a quote of the bot as a mention", () => {
    const group = { groupInfo: { groupId: "R3JvdXAx", type: "DELIVER" } };
    const mentioned = parse(
      event({
        ...ALICE,
        dataMessage: {
          message: "\uFFFC ask \uFFFC please",
          ...group,
          mentions: [
            { uuid: ACI, number: null, start: 0, length: 1 },
            { uuid: "1d2e3f40-1111-4222-8333-444455556666", number: "+4915100000043", start: 6, length: 1 },
          ],
        },
      }),
    );
    expect(mentioned).toMatchObject({ chatId: "group:R3JvdXAx", isDirect: false, mentionsBot: true });
    expect(mentioned?.text).toBe("ask \uFFFC please");
    const quoted = parse(
      event({ ...ALICE, dataMessage: { message: "and?", ...group, quote: { authorNumber: ACCOUNT } } }),
    );
    expect(quoted?.mentionsBot).toBe(true);
    const plain = parse(event({ ...ALICE, dataMessage: { message: "chat", ...group } }));
    expect(plain?.mentionsBot).toBe(false);
  });

  it("gives the bot's own messages the bot's id, an allowlisted number as id, and no id without a UUID", () => {
    expect(
      parse(event({ sourceNumber: ACCOUNT, sourceUuid: ACI, dataMessage: { message: "me" } }))?.senderId,
    ).toBe(ACI);
    expect(
      parseSignalEvent(
        event({ sourceNumber: ACCOUNT, dataMessage: { message: "me" } }),
        { account: ACCOUNT },
        { number: ACCOUNT },
      )?.senderId,
    ).toBe(ACCOUNT);
    expect(parse(event({ ...ALICE, dataMessage: { message: "x" } }), [ALICE.sourceNumber])?.senderId).toBe(
      ALICE.sourceNumber,
    );
    const numberOnly = parse(event({ sourceNumber: "+4915100000044", dataMessage: { message: "x" } }));
    expect(numberOnly).toMatchObject({ senderId: "", chatId: "+4915100000044" });
  });
});
