import { signal } from "@preact/signals";
import { en, type MessageKey } from "./en.js";
import { zhCN } from "./zh-CN.js";

/** The two complete catalogues, English and Simplified Chinese (every text of the web app in both). */
export const CATALOGUES = { en, "zh-CN": zhCN } as const;
export type Lang = keyof typeof CATALOGUES;
export const LANGS: { id: Lang; label: string }[] = [
  { id: "en", label: "English" },
  { id: "zh-CN", label: "简体中文" },
];

const STORAGE_KEY = "clawbox.lang";

/** First choice: a saved choice, else the browser's languages (zh* → zh-CN), else English. */
function initialLang(): Lang {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (saved === "en" || saved === "zh-CN") return saved;
  const prefs = globalThis.navigator?.languages ?? [];
  return prefs.some((l) => l.toLowerCase().startsWith("zh")) ? "zh-CN" : "en";
}

/** The current language; components re-render when it changes. */
export const lang = signal<Lang>(initialLang());

/** Switches the language, remembers it, and sets <html lang>. */
export function setLang(next: Lang): void {
  lang.value = next;
  globalThis.localStorage?.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
}

/** The message `key` in the current language with "{name}" placeholders filled from `vars`. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  const text: string = CATALOGUES[lang.value][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** Byte formatting is the agent's, so the CLI and the web app show the same units (format/bytes.ts). */
export { formatFileSize, formatMemory } from "../../../agent/src/format/bytes.js";

/** Seconds as "1 h 5 min", "3 min", "40 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  if (s >= 60) return `${Math.round(s / 60)} min`;
  return `${s} s`;
}
