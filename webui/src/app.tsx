import { useEffect } from "preact/hooks";
import { ApiError, api } from "./api.js";
import { LanguageSwitch } from "./components/language-switch.js";
import { Dashboard } from "./dashboard/dashboard.js";
import { Login } from "./dashboard/login.js";
import { t } from "./i18n/i18n.js";
import { csrfToken, role, screen, setupStatus, username } from "./state.js";
import { Wizard } from "./wizard/wizard.js";

/** Decides the screen: unconfigured → wizard; configured → dashboard when the session is live, else login. */
export async function route(): Promise<void> {
  const status = await api<{ state: string } & typeof setupStatus.value>("GET", "/api/setup");
  setupStatus.value = status;
  if (status.state !== "configured") {
    screen.value = "wizard";
    return;
  }
  try {
    const me = await api<{ username: string; role: "admin" | "viewer"; csrfToken: string }>(
      "GET",
      "/api/session",
    );
    csrfToken.value = me.csrfToken;
    username.value = me.username;
    role.value = me.role;
    screen.value = "dashboard";
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) screen.value = "login";
    else throw err;
  }
}

export function App() {
  useEffect(() => {
    void route();
  }, []);
  return (
    <div class="shell">
      <header class="top">
        <span class="brand">{t("app.title")}</span>
        <LanguageSwitch />
      </header>
      {screen.value === "loading" && <p aria-live="polite">{t("app.loading")}</p>}
      {screen.value === "wizard" && <Wizard />}
      {screen.value === "login" && <Login />}
      {screen.value === "dashboard" && <Dashboard />}
    </div>
  );
}
