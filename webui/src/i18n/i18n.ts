import { type Lang, lang } from "../state.js";
import { en, type MessageKey } from "./en.js";
import { zhCN } from "./zh-CN.js";

/** The two complete catalogues, English and Simplified Chinese (every text of the web app in both). */
export const CATALOGUES = { en, "zh-CN": zhCN } as const satisfies Record<Lang, unknown>;
export const LANGS: { id: Lang; label: string }[] = [
  { id: "en", label: "English" },
  { id: "zh-CN", label: "简体中文" },
];

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
