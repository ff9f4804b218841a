import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../config/load-config.js";
import { type BridgeConfig, redactBridgeConfig } from "../config-schema.js";
import { getBridgeDefinition } from "../registry.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-discord-def-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const YAML = `bridges:
  my-discord:
    type: discord
    token: "MTEx.discord-secret-token-value"
`;

function load(yaml: string) {
  const file = join(dir, "config.yaml");
  writeFileSync(file, yaml);
  return loadConfig(file).config;
}

describe("discord bridge definition", () => {
  it("is registered, validates its keys, names a typo, and redacts its secrets", async () => {
    const bridge = load(YAML).bridges?.["my-discord"] as BridgeConfig;
    expect(bridge).toMatchObject({ type: "discord", dmPolicy: "pairing" });
    expect(() => load(`${YAML}    tokn: x\n`)).toThrow(/bridges\.my-discord\.tokn is not a known key/);
    const redacted = JSON.stringify(redactBridgeConfig(bridge));
    expect(redacted).not.toContain("discord-secret-token-value");
    const definition = getBridgeDefinition("discord");
    const adapter = await definition?.create(bridge, {
      id: "my-discord",
      log: { info() {}, warn() {}, error() {}, debug() {} },
    });
    expect(adapter).toMatchObject({ type: "discord", id: "my-discord" });
    expect(adapter?.selfId()).toBeUndefined();
  });
});
