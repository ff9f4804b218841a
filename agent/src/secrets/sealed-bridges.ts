import type { BridgeConfig } from "../bridges/config-schema.js";
import type { BridgeLogger } from "../bridges/types.js";
import { editConfigFile } from "../config/edit-config-file.js";
import {
  countPlainSecrets,
  openBridgeSecrets,
  sealBridgeSecrets,
  sealSecretsInDocument,
} from "./bridge-secrets.js";

type Bridges = Record<string, BridgeConfig>;

/**
 * Start-time handling of bridge secrets: returns the bridges with secrets opened (for the adapters) and a
 * `seal` for entries the dashboard saves. When `configFile` still holds plain secrets they are sealed in
 * the file now (editConfigFile: comments and other keys stay; atomic 0600 write) — the migration of
 * existing plain values. Throws UserError `secret_sealed` when a sealed value does not open with `key`,
 * `config_file_unwritable` when the file cannot be rewritten.
 */
export function sealedBridges(
  key: Buffer,
  bridges: Bridges,
  configFile: string | null,
  log: BridgeLogger,
): { open: Bridges; seal: (id: string, entry: BridgeConfig) => BridgeConfig } {
  const open = openBridgeSecrets(key, bridges);
  const plain = countPlainSecrets(bridges);
  if (configFile && plain > 0) {
    editConfigFile(configFile, "the sealed bridge secrets", (doc) =>
      sealSecretsInDocument(doc, key, bridges),
    );
    log.info({ file: configFile, sealed: plain }, "plain bridge secrets sealed with the device key");
  }
  return {
    open,
    seal: (id, entry) => sealBridgeSecrets(key, { [id]: entry })[id] as BridgeConfig,
  };
}
