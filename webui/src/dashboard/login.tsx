import { useState } from "preact/hooks";
import { ApiError, api } from "../api.js";
import { ErrorLine, Field, formValue, Submit, useAction } from "../components/form.js";
import { t } from "../i18n/i18n.js";
import { csrfToken, role, screen, username } from "../state.js";

/** The dashboard login form. */
export function Login() {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useAction();
  const known = error instanceof ApiError && (error.status === 401 || error.status === 429);
  return (
    <main class="card narrow">
      <h1>{t("login.title")}</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const body = {
            username: formValue(e.currentTarget, "username"),
            password: formValue(e.currentTarget, "password"),
          };
          void run(async () => {
            const r = await api<{ username: string; role: "admin" | "viewer"; csrfToken: string }>(
              "POST",
              "/api/session",
              body,
            );
            csrfToken.value = r.csrfToken;
            username.value = r.username;
            role.value = r.role;
            screen.value = "dashboard";
          });
        }}
      >
        <Field label={t("login.username")}>
          {({ id }) => (
            <input
              id={id}
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              required
              value={name}
              onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
            />
          )}
        </Field>
        <Field label={t("login.password")}>
          {({ id }) => (
            <input
              id={id}
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)}
            />
          )}
        </Field>
        {known ? (
          <p class="error" role="alert">
            {(error as ApiError).status === 429 ? t("login.tooMany") : t("login.wrong")}
          </p>
        ) : (
          <ErrorLine error={error} />
        )}
        <div class="actions">
          <Submit busy={busy} label={t("login.submit")} />
        </div>
      </form>
    </main>
  );
}
