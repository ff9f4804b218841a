import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { sha512Crypt, verifySha512Crypt } from "./sha512-crypt.js";

// Checked against OpenSSL's implementation (`openssl passwd -6`, the same scheme as glibc's crypt(3)).
const openssl = (password: string, salt: string) =>
  execFileSync("openssl", ["passwd", "-6", "-salt", salt, password], { encoding: "utf8" }).trim();

describe("SHA-512-crypt ($6$)", () => {
  it.each([
    ["purple-tractor-sings-42", "saltstring"],
    ["a", "x"],
    ["a password longer than sixty-four bytes, to cross a block of the digest ……", "0123456789abcdef"],
    ["пароль 密码", "./AZaz09"],
  ])("matches openssl passwd -6 for %j", (password, salt) => {
    const expected = openssl(password, salt);
    expect(sha512Crypt(password, expected)).toBe(expected);
    expect(verifySha512Crypt(password, expected)).toBe(true);
    expect(verifySha512Crypt(`${password}x`, expected)).toBe(false);
  });

  it("honours rounds=N and refuses other schemes", () => {
    const h = sha512Crypt("pw", "$6$rounds=1000$abc$") as string;
    expect(h).toMatch(/^\$6\$rounds=1000\$abc\$[./0-9A-Za-z]{86}$/);
    expect(verifySha512Crypt("pw", h)).toBe(true);
    expect(sha512Crypt("pw", "$y$j9T$abc")).toBeNull();
    expect(verifySha512Crypt("pw", "scrypt$1$2$3$4$5")).toBe(false);
  });
});
