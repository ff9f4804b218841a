import { chownSync, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Document, parseDocument } from "yaml";
import { editConfigFile } from "../config/edit-config-file.js";
import { configValidator } from "../config/load-config.js";
import { UserError } from "../errors.js";
import { findModel, loadCatalogue } from "../models/catalogue.js";
import { adminAccount, EarlyBootSystemActions } from "./early-boot-system-actions.js";
import { writeIfChanged } from "./owned-file.js";
import { scrubAndRetire } from "./scrub-seed.js";
import { readSeedFile, type Seed, seedProblem } from "./seed-file.js";
import type { SeedPaths } from "./seed-paths.js";

/** What an import did: one line per item it changed (no secret values) and where the scrubbed seed is now. */
export interface SeedImportResult {
  changes: string[];
  appliedFile: string;
}

/** The admin account a seed creates, as `/etc/clawbox/seed-admin.json` holds it (read by the agent). */
export interface SeedAdmin {
  username: string;
  /** SHA-512-crypt hash from the seed (`$6$`). Secret. */
  passwordHash: string;
}

/** Seed model values that leave the config's `model:` alone (the agent's own recommendation is used). */
const NO_MODEL = new Set(["recommended", "none"]);

/** The config edit a seed asks for (model, bridges), or null when the config already says that. */
function configEdit(seed: Seed, configFile: string): ((doc: Document) => void) | null {
  const wantsModel = seed.model !== undefined && !NO_MODEL.has(seed.model);
  const bridges = Object.entries(seed.bridges ?? {}).map(
    ([id, fields]) => [id, { type: id, ...fields }] as const,
  );
  if (!wantsModel && bridges.length === 0) return null;
  const current = existsSync(configFile)
    ? ((parseDocument(readFileSync(configFile, "utf8")).toJS() ?? {}) as Record<string, unknown>)
    : {};
  const currentBridges = (current.bridges ?? {}) as Record<string, unknown>;
  const same =
    (!wantsModel || current.model === seed.model) &&
    bridges.every(([id, b]) => JSON.stringify(currentBridges[id]) === JSON.stringify(b));
  if (same) return null;
  return (doc) => {
    if (wantsModel) doc.set("model", seed.model);
    for (const [id, b] of bridges) doc.setIn(["bridges", id], doc.createNode(b));
  };
}

/**
 * The checks that need the device: the model id is in the catalogue and its file in the store, the bridges and model make a valid
 * agent config together with the current /etc/clawbox/config.yaml, an `admin` user exists for SSH keys.
 * Throws UserError at the seed's line of the offending key.
 */
async function checkAgainstDevice(file: string, text: string, seed: Seed, paths: SeedPaths): Promise<void> {
  if (seed.model !== undefined && !NO_MODEL.has(seed.model)) {
    const catalogue = loadCatalogue();
    if (!findModel(catalogue, seed.model))
      throw seedProblem(
        file,
        text,
        ["model"],
        `"${seed.model}" is not in the model catalogue`,
        'use an id that `clawbox recommend` lists, "recommended" or "none"',
      );
    // The agent loads a configured model at start and stops when its file is missing, so a model goes
    // into the config only when it is already in the store (pre-loaded on the card). Loaded only here: the
    // store module pulls in node-llama-cpp, seconds of start-up under emulation for every other seed.
    const { ModelStore } = await import("../models/store.js");
    const store = new ModelStore(join(paths.dataDir, "models"), { catalogue, env: {} });
    const inStore = await store.resolve(seed.model).then(
      () => true,
      () => false,
    );
    if (!inStore)
      throw seedProblem(
        file,
        text,
        ["model"],
        `"${seed.model}" is not downloaded on this device`,
        'use "recommended" and pick the model in the setup wizard, which downloads it',
      );
  }
  const edit = configEdit(seed, paths.config);
  if (edit) {
    const doc = parseDocument(existsSync(paths.config) ? readFileSync(paths.config, "utf8") : "");
    if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
    edit(doc);
    const validate = configValidator();
    if (!validate(structuredClone(doc.toJS() ?? {}))) {
      const e = validate.errors?.[0];
      const path = (e?.instancePath ?? "").split("/").filter(Boolean);
      const at = path[0] === "bridges" ? path : ["model"];
      throw seedProblem(
        file,
        text,
        at,
        `is not a valid agent setting (${e?.instancePath || "/"} ${e?.message})`,
        "check the bridge's settings in the agent's README (Messaging bridges) and correct them",
      );
    }
  }
  if (seed.ssh?.authorizedKeys?.length) {
    try {
      adminAccount(paths.passwd);
    } catch {
      throw seedProblem(
        file,
        text,
        ["ssh"],
        "cannot be applied: this system has no admin user",
        "remove ssh from the seed, or use an image that has the admin account",
      );
    }
  }
}

/**
 * Imports the seed `file` (provisioning/README.md): validates everything first (readSeedFile, then
 * checkAgainstDevice) so an invalid seed applies nothing; then applies each item idempotently through
 * EarlyBootSystemActions (host name, time zone, Wi-Fi country and networks, admin SSH keys), writes the
 * admin account to seed-admin.json (0600, owner of /etc/clawbox) and model/bridges into config.yaml
 * (editConfigFile: validated, atomic, 0600, then given back to the config dir's owner); finally scrubs
 * the secrets from the seed and renames it `<file>.applied`. Throws UserError for a seed the owner must
 * fix (nothing applied then); an fs error while applying propagates (items already applied stay, and a
 * second import finishes the rest).
 */
export async function importSeed(file: string, paths: SeedPaths): Promise<SeedImportResult> {
  const { seed, text } = readSeedFile(file, paths.zoneinfo);
  await checkAgainstDevice(file, text, seed, paths);
  const system = new EarlyBootSystemActions(paths);
  if (seed.hostname) await system.setHostname(seed.hostname);
  if (seed.timezone) await system.setTimezone(seed.timezone);
  const country = seed.wifi?.[0]?.country;
  if (country) await system.setWifiCountry(country);
  for (const w of seed.wifi ?? []) await system.saveWifi(w);
  if (seed.ssh?.authorizedKeys) await system.setSshKeys(seed.ssh.authorizedKeys);
  const changes = [...system.changes];
  if (seed.admin) {
    const admin: SeedAdmin = { username: seed.admin.username, passwordHash: seed.admin.passwordHash };
    const json = `${JSON.stringify(admin, null, 2)}\n`;
    if (writeIfChanged(paths.seedAdmin, json, { mode: 0o600, ownerOf: paths.confDir, dirMode: 0o750 }))
      changes.push(`admin account ${admin.username}`);
  }
  const edit = configEdit(seed, paths.config);
  if (edit) {
    editConfigFile(paths.config, "the seed's model and bridges", edit);
    if (process.getuid?.() === 0 && existsSync(paths.confDir)) {
      const owner = statSync(paths.confDir);
      chownSync(paths.config, owner.uid, owner.gid);
    }
    changes.push(
      [
        seed.model && !NO_MODEL.has(seed.model) ? `model ${seed.model}` : "",
        ...Object.keys(seed.bridges ?? {}).map((b) => `bridge ${b}`),
      ]
        .filter(Boolean)
        .join(", "),
    );
  }
  return { changes, appliedFile: scrubAndRetire(file, text) };
}

/** The one line a seed error report holds: the message and, for a UserError, " — fix: …". */
export function seedErrorLine(err: unknown): string {
  if (err instanceof UserError)
    return `${err.message}${err.fix ? ` — fix: ${err.fix}` : ""}`.replace(/\n/g, " ");
  return `seed import failed: ${err instanceof Error ? err.message : String(err)}`.replace(/\n/g, " ");
}
