import type { ReasonPart } from "./model-reason.js";

/** Shapes of the setup API answers only the wizard reads (agent/src/setup/hardware-overview.ts). */
export type Fit = "fits" | "tight" | "too-large" | "too-slow" | "no-disk";

export interface HardwareOverview {
  report: {
    arch: string;
    board: string | null;
    cpu: { model: string; physicalCores: number; logicalCores: number };
    memory: { totalBytes: number; availableBytes: number };
    gpus: { model: string; vendor: string }[];
    diskFreeBytes: number;
  };
  profile: string;
  profileWhy: string;
  installed: string[];
  recommendation: {
    reason: string;
    /** `reason` as message keys + numbers (absent from agents before it existed). */
    reasonParts?: ReasonPart[];
    choice: {
      model: string;
      quant: string;
      fileBytes: number;
      uri: string;
      contextSize: number;
      memory: { totalBytes: number };
      estimatedTokensPerSecond: number;
    } | null;
    alternatives: {
      model: string;
      quant: string;
      fileBytes: number;
      memory: { totalBytes: number };
      estimatedTokensPerSecond: number;
      fit: Fit;
      note: string;
      noteParts?: ReasonPart[];
    }[];
  };
}
