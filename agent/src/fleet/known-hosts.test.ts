import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { entryMatches, KnownHosts, keyTypeOfBlob, knownHostName, parseKnownHosts } from "./known-hosts.js";

const dir = mkdtempSync(join(tmpdir(), "clawbox-known-hosts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real ed25519 public key from ssh-keygen: [type, base64 blob]. */
function realKey(name: string): [string, string] {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file]);
  const [type = "", blob = ""] = readFileSync(`${file}.pub`, "utf8").trim().split(" ");
  return [type, blob];
}

describe("known_hosts", () => {
  const [type, blob] = realKey("a");
  const [, other] = realKey("b");
  const key = Buffer.from(blob, "base64");

  it("names hosts like OpenSSH", () => {
    expect(knownHostName("10.0.0.1", 22)).toBe("10.0.0.1");
    expect(knownHostName("10.0.0.1", 2222)).toBe("[10.0.0.1]:2222");
    expect(keyTypeOfBlob(key)).toBe(type);
  });

  it("matches lines hashed by ssh-keygen -H", () => {
    const file = join(dir, "hashed");
    writeFileSync(file, `[127.0.0.1]:2201 ${type} ${blob}\npi.lan,10.0.0.9 ${type} ${other}\n`);
    execFileSync("ssh-keygen", ["-q", "-H", "-f", file], { stdio: "ignore" });
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("127.0.0.1");
    const kh = new KnownHosts(file);
    expect(kh.check("127.0.0.1", 2201, key)).toBe("match");
    expect(kh.check("127.0.0.1", 2202, key)).toBe("unknown");
    expect(kh.check("10.0.0.9", 22, key)).toBe("changed");
    expect(kh.check("pi.lan", 22, Buffer.from(other, "base64"))).toBe("match");
  });

  it("handles wildcards, negation, comments, markers and revoked keys", () => {
    expect(entryMatches("*.lan,!evil.lan", "pi.lan")).toBe(true);
    expect(entryMatches("*.lan,!evil.lan", "evil.lan")).toBe(false);
    expect(entryMatches("[10.0.0.?]:2222", "[10.0.0.7]:2222")).toBe(true);
    const text = `# comment\n\n@cert-authority *.lan ${type} ${other}\n@revoked * ${type} ${other}\n*.lan ${type} ${blob}\n`;
    expect(parseKnownHosts(text)).toHaveLength(3);
    const file = join(dir, "markers");
    writeFileSync(file, text);
    const kh = new KnownHosts(file);
    expect(kh.check("pi.lan", 22, key)).toBe("match");
    expect(kh.check("pi.lan", 22, Buffer.from(other, "base64"))).toBe("revoked");
    expect(kh.knownKeyTypes("pi.lan", 22)).toEqual([type]);
  });

  it("appends accepted keys (plain and hashed) that check as match afterwards, and ssh-keygen -F finds them", () => {
    const file = join(dir, "sub", "known_hosts");
    const kh = new KnownHosts(file);
    expect(kh.check("127.0.0.1", 2300, key)).toBe("unknown");
    kh.add("127.0.0.1", 2300, key);
    kh.add("10.1.1.1", 22, key, true);
    expect(kh.check("127.0.0.1", 2300, key)).toBe("match");
    expect(kh.check("10.1.1.1", 22, key)).toBe("match");
    const found = execFileSync("ssh-keygen", ["-F", "10.1.1.1", "-f", file]).toString();
    expect(found).toContain(blob);
  });
});
