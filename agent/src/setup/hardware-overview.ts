import type { RecommendConfig } from "../config/config-schema.js";
import type { DeviceProfile } from "../hardware/profile-types.js";
import { matchProfile } from "../hardware/profiles.js";
import type { HardwareReport } from "../hardware/types.js";
import { recommend } from "../models/select.js";
import type { ModelStore } from "../models/store.js";
import type { CatalogueModel, RemoteOffer } from "../models/types.js";
import type { HardwareOverview } from "./setup-services.js";

/**
 * The wizard's model step: the HardwareReport, the matched profile (by id when the runtime chose one, else
 * matchProfile) and models/select.ts recommend() with the files already in the store counted as installed and
 * `prefs.remoteBackends` (the config's backends:) offered when nothing fits.
 * Throws what matchProfile throws when no profile matches at all.
 */
export async function hardwareOverview(
  report: HardwareReport,
  profiles: DeviceProfile[],
  profileId: string | null,
  catalogue: CatalogueModel[],
  store: ModelStore,
  prefs: RecommendConfig & { remoteBackends?: RemoteOffer[] },
): Promise<HardwareOverview> {
  const byId = profiles.find((p) => p.id === profileId);
  const { profile, why } = byId ? { profile: byId, why: "chosen at start" } : matchProfile(report, profiles);
  const installed = (await store.list()).map((m) => m.name);
  const recommendation = recommend(report, profile, catalogue, {
    minTokensPerSecond: prefs.minTokensPerSecond,
    preferLanguages: prefs.languages ?? [],
    installedFiles: installed,
    remoteBackends: prefs.remoteBackends ?? [],
  });
  return { report, profile: profile.id, profileWhy: why, recommendation, installed };
}
