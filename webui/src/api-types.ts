// Shapes of the agent's answers that more than one area of the web app reads (wizard, dashboard, components),
// from agent/src/setup/setup-flow.ts, setup-services.ts and model-downloads.ts. Types one area alone reads stay
// in that area (wizard/types.ts).
import type { SetupStep } from "../../agent/src/setup/steps.js";

/** A setup step id; the ordered list is the agent's (agent/src/setup/steps.ts). */
export type StepId = SetupStep;

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
