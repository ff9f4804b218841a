// The web app imports this module too (webui/src/api-types.ts, wizard/wizard.tsx): no Node-only imports here.

/** The wizard's steps in order, welcome … finish (one list for the server and the web app). */
export const SETUP_STEPS = [
  "welcome",
  "admin",
  "device",
  "network",
  "model",
  "download",
  "messaging",
  "remote",
  "finish",
] as const;
export type SetupStep = (typeof SETUP_STEPS)[number];

/** Steps that may be skipped and done later from the dashboard. */
export const OPTIONAL_STEPS: readonly SetupStep[] = ["network", "model", "download", "messaging", "remote"];
