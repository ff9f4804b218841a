import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api } from "../api.js";
import { t } from "../i18n/i18n.js";
import { csrfToken, role, screen, username } from "../state.js";
import { Audit } from "./audit.js";
import { Bridges } from "./bridges.js";
import { Logs } from "./logs.js";
import { Models } from "./models.js";
import { Operations } from "./operations.js";
import { Pairing } from "./pairing.js";
import { Playground } from "./playground.js";
import { Reminders } from "./reminders.js";
import { Settings } from "./settings.js";
import { Status } from "./status.js";

const TABS = [
  "status",
  "playground",
  "models",
  "bridges",
  "pairing",
  "reminders",
  "logs",
  "operations",
  "audit",
  "settings",
] as const;
type Tab = (typeof TABS)[number];
/** What a viewer account may open (the server refuses the rest with 403; role-policy.ts). */
const VIEWER_TABS: readonly Tab[] = ["status", "playground", "logs"];
const visibleTabs = () => (role.value === "viewer" ? VIEWER_TABS : TABS);

// Any known tab here: this runs at module load, before the session (and role) is known; the component
// then shows a viewer the status instead of an admin-only tab.
const tabFromHash = (): Tab => {
  const h = location.hash.replace(/^#\/?/, "") as Tab;
  return TABS.includes(h) ? h : "status";
};
const tab = signal<Tab>(tabFromHash());

/** The dashboard: navigation (links, so the keyboard and the back button work) and the current section. */
export function Dashboard() {
  useEffect(() => {
    const onHash = () => {
      tab.value = tabFromHash();
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  // a viewer who follows a link to an admin section lands on the status
  const current = visibleTabs().includes(tab.value) ? tab.value : "status";
  const logout = async () => {
    await api("DELETE", "/api/session").catch(() => {});
    csrfToken.value = "";
    username.value = "";
    role.value = "admin";
    screen.value = "login";
  };
  return (
    <div class="dashboard">
      <nav aria-label={t("dash.nav")} class="tabs">
        {visibleTabs().map((id) => (
          <a key={id} href={`#/${id}`} aria-current={current === id ? "page" : undefined}>
            {t(`dash.${id}`)}
          </a>
        ))}
        <button type="button" class="logout" onClick={() => void logout()}>
          {t("dash.logout")}
          {username.value ? ` (${username.value})` : ""}
        </button>
      </nav>
      <main class="card wide">
        <h1>{t(`dash.${current}`)}</h1>
        {current === "status" && <Status />}
        {current === "playground" && <Playground />}
        {current === "models" && <Models />}
        {current === "bridges" && <Bridges />}
        {current === "pairing" && <Pairing />}
        {current === "reminders" && <Reminders />}
        {current === "audit" && <Audit />}
        {current === "logs" && <Logs />}
        {current === "operations" && <Operations />}
        {current === "settings" && <Settings />}
      </main>
    </div>
  );
}
