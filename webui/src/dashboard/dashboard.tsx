import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api, csrfToken } from "../api.js";
import { screen, username } from "../app.js";
import { t } from "../i18n/i18n.js";
import { Bridges } from "./bridges.js";
import { Logs } from "./logs.js";
import { Models } from "./models.js";
import { Operations } from "./operations.js";
import { Pairing } from "./pairing.js";
import { Playground } from "./playground.js";
import { Settings } from "./settings.js";
import { Status } from "./status.js";

const TABS = [
  "status",
  "playground",
  "models",
  "bridges",
  "pairing",
  "logs",
  "operations",
  "settings",
] as const;
type Tab = (typeof TABS)[number];

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
  const logout = async () => {
    await api("DELETE", "/api/session").catch(() => {});
    csrfToken.value = "";
    username.value = "";
    screen.value = "login";
  };
  return (
    <div class="dashboard">
      <nav aria-label={t("dash.nav")} class="tabs">
        {TABS.map((id) => (
          <a key={id} href={`#/${id}`} aria-current={tab.value === id ? "page" : undefined}>
            {t(`dash.${id}`)}
          </a>
        ))}
        <button type="button" class="logout" onClick={() => void logout()}>
          {t("dash.logout")}
          {username.value ? ` (${username.value})` : ""}
        </button>
      </nav>
      <main class="card wide">
        <h1>{t(`dash.${tab.value}`)}</h1>
        {tab.value === "status" && <Status />}
        {tab.value === "playground" && <Playground />}
        {tab.value === "models" && <Models />}
        {tab.value === "bridges" && <Bridges />}
        {tab.value === "pairing" && <Pairing />}
        {tab.value === "logs" && <Logs />}
        {tab.value === "operations" && <Operations />}
        {tab.value === "settings" && <Settings />}
      </main>
    </div>
  );
}
