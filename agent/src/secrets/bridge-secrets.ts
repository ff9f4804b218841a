import type { Document } from "yaml";
import type { BridgeConfig } from "../bridges/config-schema.js";
import { secretKeysOf } from "../bridges/config-schema.js";
import { SECRET_KEY } from "../config/redact.js";
import { isSealed, seal, unseal } from "./sealed-secret.js";

type Bridges = Record<string, BridgeConfig>;

/**
 * Paths of the secret strings in one bridge entry: each registry secret key holding a string, and inside
 * a secret key holding an object (e-mail `imap`, IRC `sasl`) its string fields named like a secret
 * (password, token…; redact.ts SECRET_KEY).
 */
function secretPaths(config: BridgeConfig): string[][] {
  const paths: string[][] = [];
  const entry = config as unknown as Record<string, unknown>;
  for (const key of secretKeysOf(config.type)) {
    const v = entry[key];
    if (typeof v === "string") paths.push([key]);
    else if (v && typeof v === "object" && !Array.isArray(v)) {
      for (const [k, inner] of Object.entries(v))
        if (typeof inner === "string" && SECRET_KEY.test(k)) paths.push([key, k]);
    }
  }
  return paths;
}

const getPath = (o: unknown, path: string[]) =>
  path.reduce<unknown>(
    (v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
    o,
  );

function setPath(o: Record<string, unknown>, path: string[], value: string): void {
  const parent = path
    .slice(0, -1)
    .reduce<Record<string, unknown>>((v, k) => v[k] as Record<string, unknown>, o);
  parent[path.at(-1) as string] = value;
}

/** AAD of a bridge secret: where it lives, so a sealed value moved to another key does not open. */
const contextOf = (id: string, path: string[]) => ["bridges", id, ...path].join(".");

/** A deep copy of `bridges` with `fn` applied to every secret string. */
function mapSecrets(bridges: Bridges, fn: (value: string, context: string) => string): Bridges {
  const out = structuredClone(bridges);
  for (const [id, config] of Object.entries(out)) {
    for (const path of secretPaths(config)) {
      setPath(
        config as unknown as Record<string, unknown>,
        path,
        fn(getPath(config, path) as string, contextOf(id, path)),
      );
    }
  }
  return out;
}

/** The bridges with every secret opened (plain values pass through): what the adapters get. */
export function openBridgeSecrets(key: Buffer, bridges: Bridges): Bridges {
  return mapSecrets(bridges, (v, context) => unseal(key, v, context));
}

/** The bridges with every secret sealed (already sealed ones kept): what goes into the config file. */
export function sealBridgeSecrets(key: Buffer, bridges: Bridges): Bridges {
  return mapSecrets(bridges, (v, context) => (isSealed(v) ? v : seal(key, v, context)));
}

/** Number of secrets in `bridges` still stored in plain text (the start migrates them). */
export function countPlainSecrets(bridges: Bridges): number {
  let n = 0;
  for (const config of Object.values(bridges))
    for (const p of secretPaths(config)) if (!isSealed(getPath(config, p))) n++;
  return n;
}

/**
 * Seals, in a parsed config document, every plain secret of the entries in `bridges` (for
 * editConfigFile: the owner's comments and other keys stay as they are).
 */
export function sealSecretsInDocument(doc: Document, key: Buffer, bridges: Bridges): void {
  for (const [id, config] of Object.entries(bridges)) {
    for (const path of secretPaths(config)) {
      const v = getPath(config, path) as string;
      if (!isSealed(v)) doc.setIn(["bridges", id, ...path], seal(key, v, contextOf(id, path)));
    }
  }
}
