import { signal } from "@preact/signals";
import type { SetupDetails } from "./api-types.js";

// The app-wide state: signals that more than one area (app shell, wizard, dashboard, components) reads.
// State one screen or step alone needs stays beside it (the wizard's step and details, the dashboard's tab).

/** Which top-level screen shows. */
export const screen = signal<"loading" | "wizard" | "login" | "dashboard">("loading");
export const username = signal<string>("");
/** The logged-in account's role: a viewer sees status, playground and logs only (the server enforces it). */
export const role = signal<"admin" | "viewer">("admin");

/** The session's CSRF token (from login or GET /api/session), sent on every dashboard mutation. */
export const csrfToken = signal<string>("");

const CODE_KEY = "clawbox.setupCode";

/** The setup code typed on the welcome screen; kept for this tab only (sessionStorage), so a reload resumes. */
export const setupCode = signal<string>(globalThis.sessionStorage?.getItem(CODE_KEY) ?? "");

export function rememberSetupCode(code: string): void {
  setupCode.value = code;
  if (code) sessionStorage.setItem(CODE_KEY, code);
  else sessionStorage.removeItem(CODE_KEY);
}

/** `GET /api/setup` (no code needed): the steps, and why a boot-partition seed was rejected (or null). */
export const setupStatus = signal<Pick<SetupDetails, "steps"> & { seedError?: string | null }>({ steps: [] });

/** The languages of the message catalogues (webui/src/i18n). */
export type Lang = "en" | "zh-CN";

const LANG_KEY = "clawbox.lang";

/** First choice: a saved choice, else the browser's languages (zh* → zh-CN), else English. */
function initialLang(): Lang {
  const saved = globalThis.localStorage?.getItem(LANG_KEY);
  if (saved === "en" || saved === "zh-CN") return saved;
  const prefs = globalThis.navigator?.languages ?? [];
  return prefs.some((l) => l.toLowerCase().startsWith("zh")) ? "zh-CN" : "en";
}

/** The current language; components re-render when it changes. */
export const lang = signal<Lang>(initialLang());

/** Switches the language, remembers it, and sets <html lang>. */
export function setLang(next: Lang): void {
  lang.value = next;
  globalThis.localStorage?.setItem(LANG_KEY, next);
  document.documentElement.lang = next;
}
