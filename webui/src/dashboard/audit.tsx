import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorLine, Field, useAction } from "../components/form.js";
import { t } from "../i18n/i18n.js";

interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  ip: string | null;
  action: string;
  target: string | null;
  outcome: "ok" | "denied" | "failed";
  detail: string | null;
}

/** Audit log: every admin action, newest first, filtered by action (exact, or a prefix like "pairing."). */
export function Audit() {
  const [action, setAction] = useState("");
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const { error, run } = useAction();
  const load = () =>
    run(async () => {
      const params = new URLSearchParams({ limit: "200", ...(action ? { action } : {}) });
      setEntries((await api<{ entries: AuditEntry[] }>("GET", `/api/dashboard/audit?${params}`)).entries);
    });
  useEffect(() => {
    void load();
  }, []);
  return (
    <div>
      <p class="help">{t("audit.help")}</p>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <Field label={t("audit.action")}>
          {({ id }) => (
            <input
              id={id}
              value={action}
              placeholder="login."
              onInput={(e) => setAction(e.currentTarget.value)}
            />
          )}
        </Field>
        <button type="submit">{t("audit.filter")}</button>
      </form>
      <ErrorLine error={error} />
      {entries.length === 0 ? (
        <p class="note">{t("audit.empty")}</p>
      ) : (
        <table class="audit">
          <thead>
            <tr>
              <th>{t("audit.when")}</th>
              <th>{t("audit.who")}</th>
              <th>{t("audit.from")}</th>
              <th>{t("audit.action")}</th>
              <th>{t("audit.target")}</th>
              <th>{t("audit.outcome")}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id} class={e.outcome}>
                <td>{new Date(e.at).toLocaleString()}</td>
                <td>{e.actor}</td>
                <td>{e.ip ?? "—"}</td>
                <td>{e.action}</td>
                <td>{e.target ?? ""}</td>
                <td>
                  {t(`audit.${e.outcome}`)}
                  {e.detail ? ` (${e.detail})` : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
