import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../config/load-config.js";
import { type BridgeConfig, redactBridgeConfig } from "../config-schema.js";
import { getBridgeDefinition } from "../registry.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-whatsapp-def-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const YAML = `bridges:
  shop-whatsapp:
    type: whatsapp
    phoneNumberId: "106540352242922"
    accessToken: "EAAG-secret-access-token-value"
    appSecret: "app-secret-value-0123456789"
    verifyToken: "verify-secret-value"
    dmPolicy: allowlist
    allowFrom: ["4915112345678"]
`;

function load(yaml: string) {
  const file = join(dir, "config.yaml");
  writeFileSync(file, yaml);
  return loadConfig(file).config;
}

describe("whatsapp bridge definition", () => {
  it("is registered, fills defaults, names a typo, redacts its three secrets and builds an unconnected adapter", async () => {
    const bridge = load(YAML).bridges?.["shop-whatsapp"] as BridgeConfig;
    expect(bridge).toMatchObject({
      type: "whatsapp",
      listenHost: "127.0.0.1",
      listenPort: 8089,
      graphApiUrl: "https://graph.facebook.com",
      apiVersion: "v23.0",
    });
    expect(() => load(`${YAML}    appSecrett: x\n`)).toThrow(
      /bridges\.shop-whatsapp\.appSecrett is not a known key/,
    );
    expect(() => load(YAML.replace("106540352242922", "+1 555 0100"))).toThrow(/shop-whatsapp/);
    const redacted = JSON.stringify(redactBridgeConfig(bridge));
    for (const secret of [
      "EAAG-secret-access-token-value",
      "app-secret-value-0123456789",
      "verify-secret-value",
    ]) {
      expect(redacted).not.toContain(secret);
    }
    const definition = getBridgeDefinition("whatsapp");
    for (const key of Object.keys(definition?.properties ?? {})) {
      expect(String(definition?.properties[key]?.description).length).toBeGreaterThan(20);
    }
    const adapter = await definition?.create(bridge, {
      id: "shop-whatsapp",
      log: { info() {}, warn() {}, error() {}, debug() {} },
    });
    expect(adapter).toMatchObject({ type: "whatsapp", id: "shop-whatsapp" });
    expect(adapter?.capabilities).toMatchObject({ maxTextLength: 4096, canEdit: false, canTyping: true });
    expect(adapter?.selfId()).toBeUndefined();
  });
});
