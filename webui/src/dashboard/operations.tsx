import { useEffect, useState } from "preact/hooks";
import { api, uploadBackup } from "../api.js";
import { chosenBackup } from "../components/backup-file.js";
import { ErrorLine, Field, formValue, Submit, useAction } from "../components/form.js";
import { t } from "../i18n/i18n.js";

interface JobStatus {
  name: string;
  description: string;
  schedule: string;
  timezone: string;
  nextRun: string | null;
  lastRun: { finishedAt: string; ok: boolean; result: string } | null;
  running: boolean;
}
interface BackupsAnswer {
  backups: { name: string; bytes: number; createdAt: string }[];
  passphraseSet: boolean;
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "–");

/** Jobs & backups: the scheduled jobs (next/last run, result, run now) and encrypted backups. */
export function Operations() {
  const [jobs, setJobs] = useState<JobStatus[]>([]);
  const [backups, setBackups] = useState<BackupsAnswer | null>(null);
  const [restarting, setRestarting] = useState(false);
  const jobAction = useAction();
  const passAction = useAction();
  const createAction = useAction();
  const restoreAction = useAction();
  const load = async () => {
    setJobs((await api<{ jobs: JobStatus[] }>("GET", "/api/dashboard/jobs")).jobs);
    setBackups(await api<BackupsAnswer>("GET", "/api/dashboard/backups"));
  };
  useEffect(() => {
    void load().catch(() => {});
  }, []);
  return (
    <div>
      <h2>{t("ops.jobs")}</h2>
      <table>
        <thead>
          <tr>
            <th>{t("ops.job")}</th>
            <th>{t("ops.schedule")}</th>
            <th>{t("ops.next")}</th>
            <th>{t("ops.last")}</th>
            <th>{t("ops.result")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.name}>
              <td title={j.description}>{j.name}</td>
              <td>
                <code>{j.schedule}</code> ({j.timezone})
              </td>
              <td>{when(j.nextRun)}</td>
              <td>{j.lastRun ? when(j.lastRun.finishedAt) : t("ops.never")}</td>
              <td class={j.lastRun && !j.lastRun.ok ? "error" : undefined}>
                {j.lastRun ? `${j.lastRun.ok ? "" : `${t("ops.failed")}: `}${j.lastRun.result}` : ""}
              </td>
              <td>
                <button
                  type="button"
                  disabled={jobAction.busy || j.running}
                  onClick={() =>
                    void jobAction.run(async () => {
                      await api("POST", `/api/dashboard/jobs/${encodeURIComponent(j.name)}/run`);
                      await load();
                    })
                  }
                >
                  {t("ops.runNow")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorLine error={jobAction.error} />

      <h2>{t("ops.backups")}</h2>
      <p class="help">{t("ops.backupsHelp")}</p>
      <p>{backups?.passphraseSet ? t("ops.passphraseSet") : t("ops.passphraseMissing")}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const passphrase = formValue(form, "passphrase");
          void passAction.run(async () => {
            await api("POST", "/api/dashboard/backups/passphrase", { passphrase });
            form.reset();
            await load();
          });
        }}
      >
        <Field label={t("ops.passphrase")}>
          {({ id }) => (
            <input
              id={id}
              name="passphrase"
              type="password"
              autoComplete="new-password"
              minLength={12}
              required
            />
          )}
        </Field>
        <ErrorLine error={passAction.error} />
        <Submit busy={passAction.busy} label={t("ops.setPassphrase")} />
      </form>
      <div class="actions">
        <button
          type="button"
          disabled={createAction.busy || !backups?.passphraseSet}
          onClick={() =>
            void createAction.run(async () => {
              await api("POST", "/api/dashboard/backups");
              await load();
            })
          }
        >
          {createAction.busy ? t("common.working") : t("ops.create")}
        </button>
      </div>
      <ErrorLine error={createAction.error} />
      {backups && backups.backups.length === 0 && <p>{t("ops.none")}</p>}
      <ul>
        {backups?.backups.map((b) => (
          <li key={b.name}>
            {when(b.createdAt)} · {Math.max(1, Math.round(b.bytes / 1024))} KiB ·{" "}
            <a href={`/api/dashboard/backups/${encodeURIComponent(b.name)}`} download={b.name}>
              {t("ops.download")}
            </a>
          </li>
        ))}
      </ul>

      <h2>{t("ops.restore")}</h2>
      <p class="help">{t("ops.restoreHelp")}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const file = chosenBackup(e.currentTarget);
          const passphrase = formValue(e.currentTarget, "backup-passphrase");
          if (!file) return;
          void restoreAction.run(async () => {
            await uploadBackup("/api/dashboard/backups/restore", file, passphrase);
            setRestarting(true);
          });
        }}
      >
        <Field label={t("welcome.backupFile")}>
          {({ id }) => <input id={id} name="backup-file" type="file" accept=".cbx" required />}
        </Field>
        <Field label={t("welcome.passphrase")}>
          {({ id }) => <input id={id} name="backup-passphrase" type="password" autoComplete="off" required />}
        </Field>
        <ErrorLine error={restoreAction.error} />
        {restarting && <p aria-live="polite">{t("ops.restarting")}</p>}
        <Submit busy={restoreAction.busy} label={t("ops.restoreStart")} />
      </form>
    </div>
  );
}
