import { formatReasonParam } from "../../../agent/src/models/reason-parts.js";
import { en, type MessageKey } from "../i18n/en.js";
import { t } from "../i18n/i18n.js";
import { lang } from "../state.js";

/**
 * One sentence of the recommendation's explanation as the agent sends it (agent/src/models/reason-parts.ts):
 * a "model.reason.*" message key and its numbers.
 */
export interface ReasonPart {
  key: string;
  params: Record<string, string | number>;
}

/** ISO 639-1 codes ("zh, en") as language names in Chinese ("中文、英语"); other text unchanged. */
function languageNames(codes: string): string {
  const names = new Intl.DisplayNames(["zh-CN"], { type: "language" });
  return codes
    .split(/,\s*/)
    .map((c) => {
      try {
        return names.of(c) ?? c;
      } catch {
        return c;
      }
    })
    .join("、");
}

/** Params that hold language-code lists (model.reason.languages.*). */
const LANGUAGE_PARAMS = new Set(["languages", "modelLanguages"]);

/**
 * The explanation in the current language: each part's catalogue text with its numbers, joined by a space
 * (English) or directly (Chinese has no spaces between sentences); in Chinese, language codes become names
 * ("zh" → "中文"). Falls back to the agent's English
 * `english` when there are no parts (an older agent) or a key this web app does not know (a newer one).
 */
export function reasonText(parts: ReasonPart[] | undefined, english: string): string {
  if (!parts || parts.length === 0 || parts.some((p) => !(p.key in en))) return english;
  const zh = lang.value === "zh-CN";
  const sentences = parts.map((p) => {
    const vars: Record<string, string> = {};
    for (const [name, value] of Object.entries(p.params)) {
      const text = formatReasonParam(name, value);
      vars[name] = zh && LANGUAGE_PARAMS.has(name) ? languageNames(text) : text;
    }
    return t(p.key as MessageKey, vars);
  });
  return sentences.join(zh ? "" : " ");
}
