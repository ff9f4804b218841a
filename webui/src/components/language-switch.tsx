import { LANGS, t } from "../i18n/i18n.js";
import { type Lang, lang, setLang } from "../state.js";

/** The language picker (a labelled select; works with the keyboard). */
export function LanguageSwitch() {
  return (
    <label class="lang">
      <span class="sr-only">{t("app.language")}</span>
      <select
        aria-label={t("app.language")}
        value={lang.value}
        onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as Lang)}
      >
        {LANGS.map((l) => (
          <option key={l.id} value={l.id}>
            {l.label}
          </option>
        ))}
      </select>
    </label>
  );
}
