import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../config/load-config.js";
import type { BridgeConfig } from "../config-schema.js";
import { getBridgeDefinition } from "../registry.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-signal-def-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const YAML = `bridges:
  family-signal:
    type: signal
    account: "+4915112345678"
    allowFrom: ["7ccae375-cd51-4c82-8b1e-7be3280aa485", "+4915100000042"]
`;

function load(yaml: string) {
  const file = join(dir, "config.yaml");
  writeFileSync(file, yaml);
  return loadConfig(file).config;
}

describe("signal bridge definition", () => {
  it("is registered, fills defaults, names a typo or a malformed number, and builds an unconnected adapter", async () => {
    const bridge = load(YAML).bridges?.["family-signal"] as BridgeConfig;
    expect(bridge).toMatchObject({
      type: "signal",
      dmPolicy: "pairing",
      url: "http://127.0.0.1:8080",
      streamEdits: false,
    });
    expect(() => load(`${YAML}    acount: x\n`)).toThrow(/bridges\.family-signal\.acount is not a known key/);
    expect(() => load(YAML.replace("+4915112345678", "015112345678"))).toThrow(/family-signal/);
    const definition = getBridgeDefinition("signal");
    expect(definition?.properties.account?.description).toMatch(/international format/);
    const adapter = await definition?.create(bridge, {
      id: "family-signal",
      log: { info() {}, warn() {}, error() {}, debug() {} },
    });
    expect(adapter).toMatchObject({ type: "signal", id: "family-signal" });
    expect(adapter?.capabilities).toMatchObject({ maxTextLength: 2000, lengthUnit: "bytes", canEdit: false });
    expect(adapter?.selfId()).toBeUndefined();
  });
});
