import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { timeZones, validateDeviceName, validateTimezone, validateUsername } from "./validate.js";

describe("validateDeviceName (RFC 1123 label)", () => {
  it("accepts labels and lower-cases them", () => {
    expect(validateDeviceName("kitchen-box")).toBe("kitchen-box");
    expect(validateDeviceName("Clawbox-7F3A")).toBe("clawbox-7f3a");
    expect(validateDeviceName("a".repeat(63))).toBe("a".repeat(63));
    expect(validateDeviceName("9lives")).toBe("9lives");
  });
  it.each(["", "-box", "box-", "my box", "box.local", "a".repeat(64), "厨房", "under_score"])(
    "refuses %j",
    (name) => {
      expect(() => validateDeviceName(name)).toThrow(UserError);
    },
  );
});

describe("validateTimezone", () => {
  it("accepts IANA names incl. UTC and refuses others", () => {
    expect(validateTimezone("Asia/Shanghai")).toBe("Asia/Shanghai");
    expect(validateTimezone("UTC")).toBe("UTC");
    expect(timeZones()).toContain("Europe/Berlin");
    expect(() => validateTimezone("Mars/Olympus")).toThrow(/IANA/);
    expect(() => validateTimezone("../../etc/passwd")).toThrow(UserError);
  });
});

describe("validateUsername", () => {
  it("accepts portable names only", () => {
    expect(validateUsername("admin")).toBe("admin");
    expect(() => validateUsername("Admin")).toThrow(UserError);
    expect(() => validateUsername("ab")).toThrow(UserError);
    expect(() => validateUsername("-rf")).toThrow(UserError);
  });
});
