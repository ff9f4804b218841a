/**
 * The types shared by model selection (select.ts) and its explanation (explain.ts). They live apart from
 * both so that explain.ts needs no import of select.ts (rule: no import circles, type-only ones included).
 */
import type { DeviceProfile } from "../hardware/profile-types.js";
import type { HardwareReport } from "../hardware/types.js";
import type { MemoryBudget, PlacedEstimate } from "./fit.js";
import type { DeviceSpeed } from "./speed.js";
import type { CatalogueFile, CatalogueModel, Fit } from "./types.js";

/** One model × quantisation type × context size evaluated on the device. */
export interface Candidate {
  model: CatalogueModel;
  file: CatalogueFile;
  contextSize: number;
  placed: PlacedEstimate;
  tokensPerSecond: number;
  fit: Fit;
}

/** Everything explain.ts needs besides the candidates. */
export interface SelectionContext {
  profile: DeviceProfile;
  report: HardwareReport;
  budget: MemoryBudget;
  speed: DeviceSpeed;
  minTokensPerSecond: number;
  headroom: number;
  /** The context size aimed for before any reduction. */
  targetContextSize: (model: CatalogueModel) => number;
  preferLanguages: string[];
  /** Free disk usable for model files: diskFreeBytes − DISK_RESERVE_BYTES (≥ 0). */
  diskUsableBytes: number;
  /** All evaluated candidates of a model (one per file, at its best context size). */
  candidatesOf: (modelId: string) => Candidate[];
}
