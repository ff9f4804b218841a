import { existsSync, readFileSync } from "node:fs";
import type { AdminAccounts } from "./admin-accounts.js";
import type { SetupFlow } from "./setup-flow.js";

/** Where a headless seed leaves its results for the agent (provisioning/README.md; `clawbox seed import`). */
export interface SeedFiles {
  /** `/etc/clawbox/seed-admin.json`: `{"username", "passwordHash"}` ($6$ hash), 0600 clawbox. */
  admin: string;
  /** `/etc/clawbox/seed-error`: one line when the last seed was rejected. */
  error: string;
}

/**
 * Adopts the admin account a seed created: while setup is unfinished and the wizard's admin step is not
 * done yet, the account from `file` becomes the one admin and the step is marked done, so the wizard
 * skips it. Returns the user name adopted, or null (no file, unreadable or malformed file — logged by the
 * caller — setup finished, or admin step already done). Never throws for the file's content.
 */
export function adoptSeedAdmin(file: string, flow: SetupFlow, admins: AdminAccounts): string | null {
  if (!existsSync(file) || flow.isConfigured()) return null;
  if (flow.status().steps.find((s) => s.id === "admin")?.status === "done") return null;
  let seed: { username?: unknown; passwordHash?: unknown };
  try {
    seed = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
  if (typeof seed.username !== "string" || typeof seed.passwordHash !== "string") return null;
  flow.adoptAdmin(() => {
    admins.setAdminHash(seed.username as string, seed.passwordHash as string);
    admins.keepOnly(seed.username as string);
  });
  return seed.username;
}

/** The seed error line to show in the wizard (first line of `file`, at most 500 characters), or null. */
export function readSeedError(file: string): string | null {
  try {
    const line = readFileSync(file, "utf8").split("\n")[0]?.trim() ?? "";
    return line ? line.slice(0, 500) : null;
  } catch {
    return null;
  }
}
