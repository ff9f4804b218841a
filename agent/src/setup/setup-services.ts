import type { HardwareReport } from "../hardware/types.js";
import type { Recommendation } from "../models/types.js";
import type { SystemActions } from "../system/system-actions.js";
import type { AddressPolicy } from "./address-policy.js";
import type { AdminAccounts } from "./admin-accounts.js";
import type { DeviceSettings } from "./device-settings.js";
import type { ModelChoice } from "./model-choice.js";
import type { ModelDownloads } from "./model-downloads.js";
import type { FailureLimiter } from "./rate-limit.js";
import type { SessionStore } from "./sessions.js";
import type { SettingsStore } from "./settings-store.js";
import type { SetupFlow } from "./setup-flow.js";

/** Step 5's content: the hardware in plain words and the recommendation with its numbers. */
export interface HardwareOverview {
  report: HardwareReport;
  /** Matched profile id and why it matched. */
  profile: string;
  profileWhy: string;
  recommendation: Recommendation;
  /** GGUF file names already in the model store. */
  installed: string[];
}

/** Everything the setup, session and dashboard routes need (built by start-agent, small real parts in tests). */
export interface SetupServices {
  settings: SettingsStore;
  flow: SetupFlow;
  admins: AdminAccounts;
  device: DeviceSettings;
  sessions: SessionStore;
  system: SystemActions;
  /** The current setup code, null when there is none (after finish). */
  setupCode: () => string | null;
  /** Who may call the setup API (default: loopback, private, link-local; config `setup.allowFrom`). */
  setupAddresses: AddressPolicy;
  /** Wrong setup codes per address (more than 5 per minute → 429, so the code cannot be guessed). */
  setupCodeFailures: FailureLimiter;
  /** Wrong logins per address (same limits). */
  loginFailures: FailureLimiter;
  /** True when the server speaks HTTPS: cookies get `Secure`. */
  secureCookies: boolean;
  /** Model pulls with progress (wizard step 6, dashboard). */
  downloads: ModelDownloads;
  /** Hardware + recommendation for the model step; absent → the step explains it is unavailable. */
  hardware?: () => Promise<HardwareOverview>;
  /** Makes a stored model the one the agent runs and starts with (wizard and dashboard); absent → load only. */
  modelChoice?: ModelChoice;
  /** Why the boot-partition seed was rejected (one line, shown by the wizard), or null. */
  seedError: () => string | null;
}
