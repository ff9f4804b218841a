import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../config/load-config.js";
import { type BridgeConfig, redactBridgeConfig } from "../config-schema.js";
import { getBridgeDefinition } from "../registry.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-slack-def-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const YAML = `bridges:
  my-slack:
    type: slack
    botToken: xoxb-1-bot-secret-value
    appToken: xapp-1-app-secret-value
`;

function load(yaml: string) {
  const file = join(dir, "config.yaml");
  writeFileSync(file, yaml);
  return loadConfig(file).config;
}

describe("slack bridge definition", () => {
  it("is registered, validates its keys, names a typo, and redacts its secrets", async () => {
    const bridge = load(YAML).bridges?.["my-slack"] as BridgeConfig;
    expect(bridge).toMatchObject({ type: "slack", dmPolicy: "pairing" });
    expect(() => load(`${YAML}    bot_token: x\n`)).toThrow(
      /bridges\.my-slack\.bot_token is not a known key/,
    );
    const redacted = JSON.stringify(redactBridgeConfig(bridge));
    expect(redacted).not.toContain("secret-value");
    const definition = getBridgeDefinition("slack");
    const adapter = await definition?.create(bridge, {
      id: "my-slack",
      log: { info() {}, warn() {}, error() {}, debug() {} },
    });
    expect(adapter).toMatchObject({ type: "slack", id: "my-slack" });
    expect(adapter?.selfId()).toBeUndefined();
  });
});
