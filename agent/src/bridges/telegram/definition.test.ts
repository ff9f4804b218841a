import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../config/load-config.js";
import { type BridgeConfig, redactBridgeConfig } from "../config-schema.js";
import { getBridgeDefinition } from "../registry.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-telegram-def-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const YAML = `bridges:
  my-telegram:
    type: telegram
    token: "123456789:AAH-secret-token-value"
    dmPolicy: pairing
`;

function load(yaml: string) {
  const file = join(dir, "config.yaml");
  writeFileSync(file, yaml);
  return loadConfig(file).config;
}

describe("telegram bridge definition", () => {
  it("is registered, validates its keys, names a typo, and redacts its secrets", async () => {
    const bridge = load(YAML).bridges?.["my-telegram"] as BridgeConfig;
    expect(bridge).toMatchObject({ type: "telegram", dmPolicy: "pairing" });
    expect(() => load(`${YAML}    tokn: x\n`)).toThrow(/bridges\.my-telegram\.tokn is not a known key/);
    const redacted = JSON.stringify(redactBridgeConfig(bridge));
    expect(redacted).not.toContain("AAH-secret-token-value");
    const definition = getBridgeDefinition("telegram");
    const adapter = await definition?.create(bridge, {
      id: "my-telegram",
      log: { info() {}, warn() {}, error() {}, debug() {} },
    });
    expect(adapter).toMatchObject({ type: "telegram", id: "my-telegram" });
    expect(adapter?.selfId()).toBeUndefined();
  });
});
