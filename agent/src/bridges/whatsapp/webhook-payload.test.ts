import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseWebhook, verifyMetaSignature } from "./webhook-payload.js";

const SECRET = "app-secret-0123456789abcdef";
const sign = (body: Buffer | string, secret = SECRET) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

describe("verifyMetaSignature", () => {
  it("accepts exactly the HMAC-SHA256 of the raw bytes with the app secret", () => {
    const raw = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
    expect(verifyMetaSignature(SECRET, raw, sign(raw))).toBe(true);
    expect(verifyMetaSignature(SECRET, raw, sign(raw).toUpperCase().replace("SHA256=", "sha256="))).toBe(
      true,
    );
    // Re-serialised JSON (other spacing) is another body.
    expect(
      verifyMetaSignature(
        SECRET,
        Buffer.from(JSON.stringify(JSON.parse(raw.toString()), null, 1)),
        sign(raw),
      ),
    ).toBe(false);
    expect(verifyMetaSignature(SECRET, raw, sign(raw, "another-secret-value"))).toBe(false);
    expect(verifyMetaSignature(SECRET, raw, undefined)).toBe(false);
    expect(verifyMetaSignature(SECRET, raw, sign(raw).slice(0, 40))).toBe(false);
    expect(verifyMetaSignature(SECRET, raw, `sha1=${"a".repeat(40)}`)).toBe(false);
  });
});

describe("parseWebhook", () => {
  const value = (phoneNumberId: string, extra: object) => ({
    object: "whatsapp_business_account",
    entry: [
      {
        id: "1",
        changes: [{ field: "messages", value: { metadata: { phone_number_id: phoneNumberId }, ...extra } }],
      },
    ],
  });

  it("returns text messages with the contact's name, and failed statuses with their error", () => {
    const body = value("111", {
      contacts: [{ wa_id: "4915100000042", profile: { name: "Alice" } }],
      messages: [
        { from: "4915100000042", id: "wamid.A", timestamp: "1700000000", type: "text", text: { body: "hi" } },
        { from: "4915100000042", id: "wamid.B", timestamp: "1700000001", type: "image", image: { id: "9" } },
      ],
      statuses: [
        {
          id: "wamid.C",
          status: "failed",
          recipient_id: "4915100000042",
          errors: [
            { code: 131047, title: "Re-engagement message", error_data: { details: "24 hours passed" } },
          ],
        },
      ],
    });
    expect(parseWebhook(body, "111")).toEqual({
      messages: [
        { id: "wamid.A", from: "4915100000042", name: "Alice", text: "hi", timestamp: 1700000000000 },
      ],
      statuses: [
        {
          id: "wamid.C",
          status: "failed",
          recipient: "4915100000042",
          errorCode: 131047,
          errorText: "24 hours passed",
        },
      ],
      ignored: 1,
    });
  });

  it("ignores another phone number's changes, other fields and malformed bodies", () => {
    const msg = { messages: [{ from: "1", id: "wamid.X", type: "text", text: { body: "x" } }] };
    expect(parseWebhook(value("222", msg), "111").messages).toEqual([]);
    const other = {
      entry: [
        { changes: [{ field: "account_update", value: { metadata: { phone_number_id: "111" }, ...msg } }] },
      ],
    };
    expect(parseWebhook(other, "111").messages).toEqual([]);
    for (const bad of [null, 42, { entry: "x" }, { entry: [{ changes: null }] }]) {
      expect(parseWebhook(bad, "111")).toEqual({ messages: [], statuses: [], ignored: 0 });
    }
  });
});
