import { basename } from "node:path";
import type { DeviceProfile } from "../hardware/profile-types.js";
import type { HardwareReport } from "../hardware/types.js";
import { recommend } from "./select.js";
import type { ModelStore } from "./store.js";
import type { CatalogueModel } from "./types.js";

/** The model `clawbox start` loads when neither `--model` nor the config names one. */
export interface DefaultModel {
  /** Absolute path of the GGUF file in the store. */
  path: string;
  /** Context size and GPU layers the recommendation computed for this device (null: use the profile's). */
  contextSize: number | null;
  gpuLayers: number | null;
  /** One sentence for the log: why this file. */
  why: string;
}

/**
 * Picks the model to load at start from what is already in the store (never downloads):
 * 1. the recommended choice for this device (`recommend`, store files count as needing no disk), with the
 *    recommendation's context size and GPU layers;
 * 2. else the most recently added GGUF in the store (the owner pulled or imported it last);
 * 3. else null (the agent starts without a model and says how to get one).
 */
export async function pickDefaultModel(
  report: HardwareReport,
  profile: DeviceProfile | null,
  catalogue: CatalogueModel[],
  store: ModelStore,
  opts: { minTokensPerSecond?: number; preferLanguages?: string[] } = {},
): Promise<DefaultModel | null> {
  const installed = await store.list();
  if (installed.length === 0) return null;
  if (profile) {
    const rec = recommend(report, profile, catalogue, {
      ...opts,
      installedFiles: installed.map((m) => m.name),
    });
    const file = rec.choice ? basename(rec.choice.uri) : null;
    const hit = installed.find((m) => m.name === file);
    if (rec.choice && hit)
      return {
        path: hit.path,
        contextSize: rec.choice.contextSize,
        gpuLayers: rec.choice.gpuLayers,
        why: `recommended for this device (profile ${rec.profile}): ${rec.choice.model} ${rec.choice.quant}`,
      };
  }
  const newest = [...installed].sort((a, b) =>
    a.modifiedAt < b.modifiedAt ? 1 : a.modifiedAt > b.modifiedAt ? -1 : 0,
  )[0];
  if (!newest) return null;
  return {
    path: newest.path,
    contextSize: null,
    gpuLayers: null,
    why: "the most recently added model in the store (the recommended one is not downloaded)",
  };
}
