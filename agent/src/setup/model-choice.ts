import { existsSync } from "node:fs";
import { editConfigFile } from "../config/edit-config-file.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { LoadedModelInfo } from "../inference/types.js";
import type { DefaultModel } from "../models/default-model.js";
import type { SettingsStore } from "./settings-store.js";

/** Settings key of the model chosen in the wizard once its file is in the store. */
export const CHOSEN_MODEL_KEY = "model.chosen";

/** What is stored under CHOSEN_MODEL_KEY. */
export interface ChosenModel {
  /** What the owner picked: catalogue id, store file name, hf: URI or URL. */
  ref: string;
  /** Absolute path of the GGUF file in the model store. */
  path: string;
  /** The config file `model` was written to, or null (agent started without one). */
  savedTo: string | null;
  /** ISO time of the choice. */
  at: string;
}

/** What ModelChoice needs from the agent. */
export interface ModelChoiceDeps {
  settings: SettingsStore;
  /** The config file the agent was started with (`--config` or the device's), or null. */
  configFile: string | null;
  /** Loads a GGUF file into the inference service (hot switch: in-flight requests finish on the old one). */
  load: (path: string) => Promise<LoadedModelInfo>;
  /** Finds a ref's file in the store (ModelStore.resolve); throws `model_not_found` when it is not there. */
  resolve: (ref: string) => Promise<string>;
}

/**
 * The wizard's model becomes the agent's model: once the chosen file is in the store, `apply` writes its
 * path to the config file's `model` (atomically, keeping the owner's other keys and comments), records it in
 * the settings (for an agent without a config file) and loads it without a restart. At the next start
 * `config.model` names it, or else `startupModel` returns it, so it wins over the default recommendation.
 */
export class ModelChoice {
  constructor(private readonly deps: ModelChoiceDeps) {}

  /** The applied choice, or null. */
  current(): ChosenModel | null {
    return this.deps.settings.get<ChosenModel>(CHOSEN_MODEL_KEY) ?? null;
  }

  /**
   * Makes `path` (the stored file of `ref`) the model the agent runs: load first, then the config file and
   * the settings, so a file that does not load is never configured (a configured model that fails to load
   * would stop the next start). Throws what `load` throws (nothing written), and UserError `config_file_unwritable` when
   * the config file cannot be read, parsed or written (the model then runs until the agent stops).
   */
  async apply(ref: string, path: string): Promise<LoadedModelInfo> {
    const loaded = await this.deps.load(path);
    if (this.deps.configFile) writeConfigModel(this.deps.configFile, path);
    const chosen: ChosenModel = { ref, path, savedTo: this.deps.configFile, at: new Date().toISOString() };
    this.deps.settings.set(CHOSEN_MODEL_KEY, chosen);
    return loaded;
  }

  /**
   * For the wizard's "use this model": when `ref` is already in the store, applies it now and returns the
   * loaded model; otherwise null (the download step will pull it and `apply` runs when it is done).
   */
  async applyIfPresent(ref: string): Promise<LoadedModelInfo | null> {
    let path: string;
    try {
      path = await this.deps.resolve(ref);
    } catch (err) {
      if (err instanceof UserError && err.code === ErrorCode.MODEL_NOT_FOUND) return null;
      throw err;
    }
    return this.apply(ref, path);
  }
}

/**
 * The model to load at start when the config names none: the wizard's choice from the settings if its file
 * still exists, else null (then models/default-model.ts decides). Context size and GPU layers come from the
 * runtime settings (null).
 */
export function startupModel(settings: SettingsStore): DefaultModel | null {
  const chosen = settings.get<ChosenModel>(CHOSEN_MODEL_KEY);
  if (!chosen || !existsSync(chosen.path)) return null;
  return {
    path: chosen.path,
    contextSize: null,
    gpuLayers: null,
    why: `chosen in the setup wizard (${chosen.ref})`,
  };
}

/**
 * Sets `model: <path>` in the YAML config `file` (created when missing) by editing its document in place,
 * validates the whole result against the config schema and writes it atomically with mode 0600 (the file
 * may hold bridge secrets). Throws UserError `config_file_unwritable` naming the file and the fix; writes nothing then.
 */
export function writeConfigModel(file: string, path: string): void {
  editConfigFile(file, "the chosen model", (doc) => doc.set("model", path));
}
