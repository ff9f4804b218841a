import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config/load-config.js";
import { UserError } from "../errors.js";
import { redactBridgeConfig } from "./config-schema.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-bridge-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(yaml: string) {
  const file = join(dir, "config.yaml");
  writeFileSync(file, yaml);
  return loadConfig(file).config;
}

const HOOK = `bridges:
  hook:
    type: webhook
    secret: "0123456789abcdef-secret"
    listenPort: 9000
    outboundUrl: http://127.0.0.1:9001/out
`;

describe("bridges config schema", () => {
  it("accepts a bridge and fills the shared defaults", () => {
    const config = load(HOOK);
    expect(config.bridges?.hook).toMatchObject({
      type: "webhook",
      dmPolicy: "pairing",
      enabled: true,
      groups: true,
      listenHost: "127.0.0.1",
    });
  });

  it("names the bridge and the key of a typo, with its line", () => {
    const err = (() => {
      try {
        load(`${HOOK}    secrte: x\n`);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/config\.yaml:7: bridges\.hook\.secrte is not a known key/);
  });

  it("rejects an unknown type, a missing required key and a bad dmPolicy", () => {
    expect(() => load("bridges:\n  x:\n    type: carrier-pigeon\n")).toThrow(
      /bridges\.x\.type must be one of: .*"webhook"/,
    );
    expect(() => load("bridges:\n  x:\n    type: websocket\n    listenPort: 1\n")).toThrow(
      /bridges\.x is missing required key "token"/,
    );
    expect(() => load(HOOK.replace("type: webhook", "type: webhook\n    dmPolicy: everyone"))).toThrow(
      /bridges\.hook\.dmPolicy must be one of/,
    );
    expect(() => load(HOOK.replace("hook:", "Bad Id:"))).toThrow(UserError);
  });

  it("redacts secrets", () => {
    const config = load(HOOK);
    const hook = config.bridges?.hook;
    if (!hook) throw new Error("no bridge");
    const shown = redactBridgeConfig(hook);
    expect(shown.secret).toBe("********");
    expect(JSON.stringify(shown)).not.toContain("0123456789abcdef");
    expect(hook.secret).toBe("0123456789abcdef-secret");
  });
});
