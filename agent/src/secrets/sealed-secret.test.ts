import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { countPlainSecrets, openBridgeSecrets, sealBridgeSecrets } from "./bridge-secrets.js";
import { loadDeviceKey } from "./device-key.js";
import { isSealed, seal, unseal } from "./sealed-secret.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-secrets-unit-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("sealed secrets", () => {
  it("seals with AES-256-GCM: fresh IV per value, opens only with the same key and context", () => {
    const { key } = loadDeviceKey(dir, {});
    const a = seal(key, "tg-123:secret", "bridges.tg.token");
    const b = seal(key, "tg-123:secret", "bridges.tg.token");
    expect(isSealed(a)).toBe(true);
    expect(a).not.toBe(b);
    expect(a).not.toContain("secret");
    expect(unseal(key, a, "bridges.tg.token")).toBe("tg-123:secret");
    expect(unseal(key, "plain-legacy", "x")).toBe("plain-legacy");
    expect(() => unseal(key, a, "bridges.other.token")).toThrow(UserError);
    const other = loadDeviceKey(mkdtempSync(join(tmpdir(), "clawbox-other-")), {}).key;
    expect(() => unseal(other, a, "bridges.tg.token")).toThrow(/cannot be opened with this device's key/);
    const damaged = `${a.slice(0, -4)}AAAA`;
    expect(() => unseal(key, damaged, "bridges.tg.token")).toThrow(UserError);
  });

  it("keeps one key file (0600) per data dir", () => {
    const first = loadDeviceKey(dir, {});
    expect(first.source).toBe("key-file");
    expect(statSync(join(dir, "device-key")).mode & 0o777).toBe(0o600);
    expect(loadDeviceKey(dir, {}).key.equals(first.key)).toBe(true);
    expect(readFileSync(join(dir, "device-key")).length).toBe(32);
  });

  it("seals every secret of bridge entries, nested ones too, and nothing else", () => {
    const { key } = loadDeviceKey(dir, {});
    const bridges = {
      tg: { type: "telegram", dmPolicy: "pairing", token: "123:ABC" },
      mail: {
        type: "email",
        dmPolicy: "allowlist",
        address: "bot@example.org",
        imap: { host: "imap.example.org", user: "bot", password: "imap-pw" },
      },
    } as never;
    expect(countPlainSecrets(bridges)).toBe(2);
    const sealed = sealBridgeSecrets(key, bridges) as Record<string, Record<string, unknown>>;
    expect(JSON.stringify(sealed)).not.toMatch(/123:ABC|imap-pw/);
    const mail = sealed.mail as Record<string, unknown>;
    expect(mail.address).toBe("bot@example.org");
    expect((mail.imap as Record<string, string>).host).toBe("imap.example.org");
    expect(countPlainSecrets(sealed as never)).toBe(0);
    expect(sealBridgeSecrets(key, sealed as never)).toEqual(sealed);
    expect(openBridgeSecrets(key, sealed as never)).toEqual(bridges);
  });
});
