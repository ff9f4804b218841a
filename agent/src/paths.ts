import { homedir } from "node:os";
import { join, resolve } from "node:path";

/**
 * Where the agent keeps its state (token, SQLite database, models), in this order:
 * the explicit argument, `$CLAWBOX_DATA_DIR`, `$XDG_DATA_HOME/clawbox`, `~/.local/share/clawbox`.
 * On a device the image sets `CLAWBOX_DATA_DIR=/var/lib/clawbox`.
 * Returns an absolute path; does not create it.
 */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  if (env.CLAWBOX_DATA_DIR) return resolve(env.CLAWBOX_DATA_DIR);
  const xdg = env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(xdg, "clawbox");
}

/** The model store's folder inside a data dir: `<dataDir>/models`. */
export function modelsDir(dataDir: string): string {
  return join(dataDir, "models");
}

/** Device config path used when `--config` is not given and the file exists. */
export const DEVICE_CONFIG_PATH = "/etc/clawbox/config.yaml";

/** Repository root (…/agent/dist/paths.js → ../..), where `hardware-profiles/` lives. */
export const REPO_ROOT = resolve(import.meta.dirname, "..", "..");

/** Folder with device profiles, the model catalogue and their JSON Schemas. */
export function hardwareProfilesDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAWBOX_PROFILES_DIR ? resolve(env.CLAWBOX_PROFILES_DIR) : join(REPO_ROOT, "hardware-profiles");
}
