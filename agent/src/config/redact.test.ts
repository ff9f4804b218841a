import { describe, expect, it } from "vitest";
import { redactSecrets } from "./redact.js";

describe("redactSecrets", () => {
  it("replaces secret-looking keys at any depth and keeps the rest", () => {
    const input = {
      server: { port: 8080 },
      bridges: [{ telegram: { botToken: "123:abc", chatIds: [1] } }, { slack: { signingSecret: "s" } }],
      password: "p",
    };
    expect(redactSecrets(input)).toEqual({
      server: { port: 8080 },
      bridges: [
        { telegram: { botToken: "[redacted]", chatIds: [1] } },
        { slack: { signingSecret: "[redacted]" } },
      ],
      password: "[redacted]",
    });
    expect(input.password).toBe("p");
  });
});
