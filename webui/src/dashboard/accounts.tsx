import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorLine, Field, formValue, useAction } from "../components/form.js";
import { t } from "../i18n/i18n.js";
import { username } from "../state.js";

interface Account {
  username: string;
  role: "admin" | "viewer";
  createdAt: string;
}

/** Settings → accounts: the admins and viewers of the dashboard; add one (a viewer by default) or remove one. */
export function Accounts() {
  const [accounts, setAccounts] = useState<Account[]>([]);
  const { error, busy, run } = useAction();
  const load = async () =>
    setAccounts((await api<{ accounts: Account[] }>("GET", "/api/dashboard/accounts")).accounts);
  useEffect(() => {
    void run(load);
  }, []);
  return (
    <section>
      <h2>{t("accounts.title")}</h2>
      <p class="help">{t("accounts.help")}</p>
      <ul class="list">
        {accounts.map((a) => (
          <li key={a.username}>
            {a.username} — {t(`accounts.${a.role}`)}{" "}
            {a.username !== username.value && (
              <button
                type="button"
                class="secondary"
                onClick={() =>
                  void run(async () => {
                    await api("DELETE", `/api/dashboard/accounts/${encodeURIComponent(a.username)}`);
                    await load();
                  })
                }
              >
                {t("settings.remove")}
              </button>
            )}
          </li>
        ))}
      </ul>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          void run(async () => {
            await api("POST", "/api/dashboard/accounts", {
              username: formValue(form, "username"),
              password: formValue(form, "password"),
              role: formValue(form, "role"),
            });
            form.reset();
            await load();
          });
        }}
      >
        <Field label={t("login.username")}>
          {({ id }) => <input id={id} name="username" required autoComplete="off" />}
        </Field>
        <Field label={t("login.password")}>
          {({ id }) => <input id={id} name="password" type="password" required autoComplete="new-password" />}
        </Field>
        <Field label={t("accounts.role")}>
          {({ id }) => (
            <select id={id} name="role">
              <option value="viewer">{t("accounts.viewer")}</option>
              <option value="admin">{t("accounts.admin")}</option>
            </select>
          )}
        </Field>
        <ErrorLine error={error} />
        <button type="submit" disabled={busy}>
          {t("accounts.add")}
        </button>
      </form>
    </section>
  );
}
