import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../config/load-config.js";
import { type BridgeConfig, redactBridgeConfig } from "../config-schema.js";
import { getBridgeDefinition } from "../registry.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-matrix-def-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const YAML = `bridges:
  my-matrix:
    type: matrix
    homeserverUrl: https://matrix.example.org
    userId: "@clawbox:example.org"
    accessToken: syt_matrix-secret-value
`;

function load(yaml: string) {
  const file = join(dir, "config.yaml");
  writeFileSync(file, yaml);
  return loadConfig(file).config;
}

describe("matrix bridge definition", () => {
  it("is registered, validates its keys, names a typo, and redacts its secrets", async () => {
    const bridge = load(YAML).bridges?.["my-matrix"] as BridgeConfig;
    expect(bridge).toMatchObject({ type: "matrix", dmPolicy: "pairing" });
    expect(() => load(`${YAML}    token: x\n`)).toThrow(/bridges\.my-matrix\.token is not a known key/);
    const redacted = JSON.stringify(redactBridgeConfig(bridge));
    expect(redacted).not.toContain("matrix-secret-value");
    const definition = getBridgeDefinition("matrix");
    const adapter = await definition?.create(bridge, {
      id: "my-matrix",
      log: { info() {}, warn() {}, error() {}, debug() {} },
    });
    expect(adapter).toMatchObject({ type: "matrix", id: "my-matrix" });
    expect(adapter?.selfId()).toBeUndefined();
  });
});
