import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config/load-config.js";
import { type BridgeConfig, redactBridgeConfig } from "./config-schema.js";
import { getBridgeDefinition } from "./registry.js";

/** The three Chinese-platform bridge types as the owner writes them in the config file. */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-zh-def-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const YAML = `bridges:
  team-feishu:
    type: feishu
    appId: cli_a1b2c3d4e5f60718
    appSecret: feishu-secret-value
    domain: lark
  team-dingtalk:
    type: dingtalk
    clientId: dingabc123456
    clientSecret: dingtalk-secret-value
  team-wecom:
    type: wecom
    corpId: ww1234567890abcdef
    agentId: 1000002
    corpSecret: wecom-secret-value
    token: QDG6eK
    encodingAesKey: jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C
`;

function load(yaml: string) {
  const file = join(dir, "config.yaml");
  writeFileSync(file, yaml);
  return loadConfig(file).config;
}

const log = { info() {}, warn() {}, error() {}, debug() {} };

describe("feishu, dingtalk and wecom bridge definitions", () => {
  it("are registered with pairing by default, fill defaults, redact secrets and build adapters", async () => {
    const bridges = load(YAML).bridges ?? {};
    expect(bridges["team-feishu"]).toMatchObject({ type: "feishu", dmPolicy: "pairing", domain: "lark" });
    expect(bridges["team-dingtalk"]).toMatchObject({
      dmPolicy: "pairing",
      apiUrl: "https://api.dingtalk.com",
    });
    expect(bridges["team-wecom"]).toMatchObject({
      dmPolicy: "pairing",
      listenHost: "127.0.0.1",
      listenPort: 8090,
    });
    for (const [id, entry] of Object.entries(bridges)) {
      const bridge = entry as BridgeConfig;
      expect(JSON.stringify(redactBridgeConfig(bridge))).not.toMatch(/secret-value|QDG6eK|jWmYm7/);
      const adapter = await getBridgeDefinition(bridge.type)?.create(bridge, { id, log });
      expect(adapter).toMatchObject({ type: bridge.type, id });
      expect(adapter?.selfId()).toBeUndefined();
    }
  });

  it("refuses ids the SDKs and WeCom would refuse, naming the key", () => {
    expect(() => load(YAML.replace("cli_a1b2c3d4e5f60718", "a1b2c3"))).toThrow(/team-feishu.*appId|appId/);
    expect(() => load(YAML.replace("domain: lark", "domain: larksuite"))).toThrow(/domain/);
    expect(() => load(YAML.replace("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "short"))).toThrow(
      /encodingAesKey/,
    );
    expect(() => load(`${YAML}    agentid: 5\n`)).toThrow(/bridges\.team-wecom\.agentid is not a known key/);
  });
});
