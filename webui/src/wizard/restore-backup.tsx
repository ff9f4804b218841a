import { api } from "../api.js";
import { route } from "../app.js";
import { Field } from "../components/form.js";
import { t } from "../i18n/i18n.js";

/** The file and passphrase fields of "Restore from a backup" on the welcome step. */
export function RestoreFields() {
  return (
    <>
      <Field label={t("welcome.backupFile")} help={t("welcome.restoreHelp")}>
        {({ id, describedBy }) => (
          <input
            id={id}
            name="backup-file"
            type="file"
            accept=".cbx"
            required
            aria-describedby={describedBy}
          />
        )}
      </Field>
      <Field label={t("welcome.passphrase")}>
        {({ id }) => <input id={id} name="backup-passphrase" type="password" autoComplete="off" required />}
      </Field>
    </>
  );
}

/**
 * After POST /api/setup/restore the agent restarts with the restored state: polls GET /api/setup (every
 * second, up to 2 minutes) until it answers "configured", then shows the login.
 */
export async function waitForRestart(): Promise<void> {
  for (let i = 0; i < 120; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const status = await api<{ state: string }>("GET", "/api/setup").catch(() => null);
    if (status?.state === "configured") {
      await route();
      return;
    }
  }
}
