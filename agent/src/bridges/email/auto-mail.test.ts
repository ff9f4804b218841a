import { describe, expect, it } from "vitest";
import { dkimVerifiedSender, isAutomatedMail } from "./auto-mail.js";

const headers = (h: Record<string, string>) => (n: string) => h[n];

describe("isAutomatedMail", () => {
  it("flags auto-replies, bulk and list mail, and passes ordinary mail", () => {
    expect(isAutomatedMail(headers({ "auto-submitted": "auto-replied" }))).toBe(true);
    expect(isAutomatedMail(headers({ "auto-submitted": "no" }))).toBe(false);
    expect(isAutomatedMail(headers({ precedence: "bulk" }))).toBe(true);
    expect(isAutomatedMail(headers({ "list-id": "<l.example.org>" }))).toBe(true);
    expect(isAutomatedMail(headers({ subject: "hi" }))).toBe(false);
  });
});

describe("dkimVerifiedSender", () => {
  it("accepts only a dkim=pass for the From domain from the trusted server", () => {
    const good = "mx.test; dkim=pass header.d=example.org header.s=s1; spf=pass";
    expect(dkimVerifiedSender([good], "Alice@Example.org", "mx.test")).toBe("alice@example.org");
    expect(dkimVerifiedSender([good], "alice@example.org", "other.mx")).toBe("");
    expect(
      dkimVerifiedSender(["mx.test; dkim=fail header.d=example.org"], "alice@example.org", "mx.test"),
    ).toBe("");
    expect(
      dkimVerifiedSender(["mx.test; dkim=pass header.d=evil.example"], "alice@example.org", "mx.test"),
    ).toBe("");
    expect(
      dkimVerifiedSender(["mx.test; dkim=pass header.i=@example.org"], "alice@example.org", "mx.test"),
    ).toBe("alice@example.org");
  });
});
