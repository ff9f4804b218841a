import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./password.js";
import { passwordProblems } from "./password-strength.js";

const CHEAP = { N: 2 ** 10, r: 8, p: 1 };

describe("password hashing (scrypt)", () => {
  it("verifies the right password and refuses a wrong one, with the default memory-hard parameters", async () => {
    const hash = await hashPassword("correct horse battery", undefined);
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword("correct horse battery", hash)).toBe(true);
    expect(await verifyPassword("correct horse batterz", hash)).toBe(false);
  });

  it("salts: the same password hashes differently", async () => {
    const a = await hashPassword("same password here", CHEAP);
    const b = await hashPassword("same password here", CHEAP);
    expect(a).not.toBe(b);
    expect(await verifyPassword("same password here", b)).toBe(true);
  });

  it("matches the NFC and NFD spellings of the same text", async () => {
    const hash = await hashPassword("caf\u00e9 au lait!", CHEAP);
    expect(await verifyPassword("cafe\u0301 au lait!", hash)).toBe(true);
  });

  it("treats malformed hashes as a mismatch", async () => {
    expect(await verifyPassword("x", "bcrypt$foo")).toBe(false);
    expect(await verifyPassword("x", "scrypt$a$b$c$d$e")).toBe(false);
  });
});

describe("passwordProblems", () => {
  it("accepts a long uncommon password", () => {
    expect(passwordProblems("purple-tractor-sings", "admin")).toEqual([]);
  });
  it("names each problem", () => {
    expect(passwordProblems("short", "admin")).toEqual(["too-short"]);
    expect(passwordProblems("password123", "admin")).toEqual(["common"]);
    expect(passwordProblems("admin-is-my-name", "admin")).toEqual(["contains-username"]);
    expect(passwordProblems("aaaaaaaaaaaa", "admin")).toEqual(["repetitive"]);
    expect(passwordProblems("abcdefghijkl", "admin")).toEqual(["repetitive"]);
    expect(passwordProblems("x".repeat(300))).toEqual(["too-long", "repetitive"]);
  });
  it("counts characters, not bytes (Chinese passwords)", () => {
    expect(passwordProblems("我的密码很长而且不常见呢", "admin")).toEqual([]);
    expect(passwordProblems("我的密码", "admin")).toEqual(["too-short"]);
  });
});
