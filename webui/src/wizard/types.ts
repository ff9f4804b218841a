import type { ReasonPart } from "./model-reason.js";

/** Shapes of the setup API answers the wizard reads (agent/src/setup/setup-flow.ts, setup-services.ts). */
export type StepId =
  | "welcome"
  | "admin"
  | "device"
  | "network"
  | "model"
  | "download"
  | "messaging"
  | "remote"
  | "finish";

export interface SshKey {
  type: string;
  bits: number;
  comment: string;
  fingerprint: string;
}

export interface SetupDetails {
  state: "unconfigured" | "configured";
  language: string | null;
  current: StepId;
  steps: { id: StepId; status: "done" | "skipped" | "pending" }[];
  admin: string | null;
  device: { name: string; timezone: string } | null;
  model: string | null;
  sshKeys: SshKey[];
}

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

export interface DownloadState {
  ref: string | null;
  status: "idle" | "running" | "done" | "cancelled" | "error";
  progress: {
    downloadedBytes: number;
    totalBytes: number | null;
    bytesPerSecond: number;
    etaSeconds: number | null;
  } | null;
  error: string | null;
  model: { name: string; bytes: number } | null;
}
