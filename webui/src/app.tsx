import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { ApiError, api, csrfToken } from "./api.js";
import { Dashboard } from "./dashboard/dashboard.js";
import { Login } from "./dashboard/login.js";
import { t } from "./i18n/i18n.js";
import { LanguageSwitch } from "./language-switch.js";
import { setupStatus, Wizard } from "./wizard/wizard.js";

/** Which top-level screen shows. */
export const screen = signal<"loading" | "wizard" | "login" | "dashboard">("loading");
export const username = signal<string>("");
/** The logged-in account's role: a viewer sees status, playground and logs only (the server enforces it). */
export const role = signal<"admin" | "viewer">("admin");

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
