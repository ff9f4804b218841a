import type { Database } from "better-sqlite3";
import type { SystemActions } from "../system/system-actions.js";
import { addressPolicy, LOCAL_RANGES } from "./address-policy.js";
import { AdminAccounts } from "./admin-accounts.js";
import { DeviceSettings } from "./device-settings.js";
import { ModelChoice, type ModelChoiceDeps } from "./model-choice.js";
import { ModelDownloads, type Puller } from "./model-downloads.js";
import type { ScryptParams } from "./password.js";
import { FailureLimiter } from "./rate-limit.js";
import { adoptSeedAdmin, readSeedError, type SeedFiles } from "./seed-admin.js";
import { SessionStore } from "./sessions.js";
import { SettingsStore } from "./settings-store.js";
import { ensureSetupCode, readSetupCode, removeSetupCode } from "./setup-code.js";
import { SetupFlow } from "./setup-flow.js";
import type { HardwareOverview, SetupServices } from "./setup-services.js";

/** Wrong setup codes / logins allowed per address per minute: one more → 429 (brute-force guard). */
export const MAX_FAILURES_PER_MINUTE = 5;

export interface CreateSetupOptions {
  db: Database;
  dataDir: string;
  system: SystemActions;
  pull: Puller;
  /** Extra CIDR ranges allowed to reach the setup API (config `setup.allowFrom`); added to LOCAL_RANGES. */
  allowFrom?: string[];
  secureCookies?: boolean;
  hardware?: () => Promise<HardwareOverview>;
  /**
   * Runs after a download finished. With `modelChoice`, downloads during setup go to ModelChoice.apply
   * instead (the wizard's model becomes the configured, loaded one) and this runs only after setup.
   */
  onModelDownloaded?: ConstructorParameters<typeof ModelDownloads>[1];
  /** Config file, loader and store lookup for the wizard's model choice (absent: the choice is only remembered). */
  modelChoice?: Omit<ModelChoiceDeps, "settings">;
  scrypt?: ScryptParams;
  /** Seals session secrets at rest (secrets/device-key.ts); absent → stored as they are (tests). */
  deviceKey?: Buffer;
  /** A boot-partition seed's results (setup/seed-admin.ts); absent: no seed on this machine. */
  seed?: SeedFiles;
}

/**
 * Wires the setup services over one SQLite database and data dir. While setup is unfinished a setup code
 * exists (`<dataDir>/setup-code`, generated on first start, mode 0600); when it finishes the file is
 * deleted. Returns the services and the code (null when already configured) for the start banner.
 */
export function createSetupServices(o: CreateSetupOptions): { services: SetupServices; code: string | null } {
  const settings = new SettingsStore(o.db);
  const admins = new AdminAccounts(o.db, o.scrypt);
  const device = new DeviceSettings(settings, o.system);
  const choice = o.modelChoice ? new ModelChoice({ settings, ...o.modelChoice }) : undefined;
  const flow = new SetupFlow(settings, admins, device, () => removeSetupCode(o.dataDir), choice);
  if (o.seed) adoptSeedAdmin(o.seed.admin, flow, admins);
  let code: string | null = null;
  if (flow.isConfigured()) removeSetupCode(o.dataDir);
  else code = ensureSetupCode(o.dataDir);
  const services: SetupServices = {
    settings,
    flow,
    admins,
    device,
    sessions: new SessionStore(o.db, Date.now, o.deviceKey),
    system: o.system,
    setupCode: () => (flow.isConfigured() ? null : readSetupCode(o.dataDir)),
    setupAddresses: addressPolicy([...LOCAL_RANGES, ...(o.allowFrom ?? [])]),
    setupCodeFailures: new FailureLimiter(MAX_FAILURES_PER_MINUTE, 60_000),
    loginFailures: new FailureLimiter(MAX_FAILURES_PER_MINUTE, 60_000),
    secureCookies: o.secureCookies ?? false,
    downloads: new ModelDownloads(o.pull, async (stored, ref) => {
      if (choice && !flow.isConfigured()) await choice.apply(ref, stored.path);
      else await o.onModelDownloaded?.(stored, ref);
    }),
    hardware: o.hardware,
    modelChoice: choice,
    seedError: () => (o.seed ? readSeedError(o.seed.error) : null),
  };
  return { services, code };
}
