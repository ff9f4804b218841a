import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProfiles, matchProfile } from "../../agent/src/hardware/profiles.js";
import { loadHardwareReport } from "../../agent/src/hardware/report-schema.js";
import { loadCatalogue } from "../../agent/src/models/catalogue.js";
import { REASON_EN, REASON_KEYS } from "../../agent/src/models/reason-parts.js";
import { recommend } from "../../agent/src/models/select.js";
import { REPO_ROOT } from "../../agent/src/paths.js";
import { en } from "../../webui/src/i18n/en.js";
import { zhCN } from "../../webui/src/i18n/zh-CN.js";
import { lang } from "../../webui/src/state.js";
import { reasonText } from "../../webui/src/wizard/model-reason.js";

/**
 * The recommendation's explanation (agent/src/models/reason-parts.ts) and the web app's catalogues agree:
 * same keys, the English taken from the agent, Chinese with the same placeholders (numbers are
 * formatted by the agent's own formatReasonParam in both).
 */

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const CJK = /[\u4e00-\u9fff]/;

function rec(fixture: string, mutate?: (r: ReturnType<typeof loadHardwareReport>) => void) {
  const report = loadHardwareReport(join(REPO_ROOT, "test", "fixtures", "hardware", `${fixture}.json`));
  mutate?.(report);
  const profiles = loadProfiles();
  return recommend(report, matchProfile(report, profiles).profile, loadCatalogue(), {
    preferLanguages: ["zh"],
  });
}

describe("model.reason.* keys: agent and web app catalogues", () => {
  it("every key the agent emits is in both catalogues; the English is the agent's; the Chinese has its placeholders", () => {
    for (const key of REASON_KEYS) {
      expect(en[key as keyof typeof en], key).toBe(REASON_EN[key]);
      const zh = zhCN[key as keyof typeof en];
      expect(placeholders(zh), key).toEqual(placeholders(REASON_EN[key]));
      expect(zh, key).toMatch(CJK);
    }
  });

  it.each([
    ["raspberry-pi-5-8gb", undefined],
    ["rtx-4090-desktop", undefined],
    [
      "raspberry-pi-4-2gb",
      (r: { diskFreeBytes: number }) => {
        r.diskFreeBytes = 200e6;
      },
    ],
  ] as const)(
    "%s: in English the text is the agent's reason; in Chinese it is Chinese with the numbers",
    (fixture, mutate) => {
      const r = rec(fixture, mutate);
      try {
        lang.value = "en";
        expect(reasonText(r.reasonParts, "fallback")).toBe(r.reason);
        for (const a of r.alternatives) expect(reasonText(a.noteParts, "fallback")).toBe(a.note);
        lang.value = "zh-CN";
        const zh = reasonText(r.reasonParts, "fallback");
        expect(zh).toMatch(CJK);
        expect(zh).not.toMatch(/\{\w+\}|Chose|Profile|tokens\/s|budget/);
        if (r.choice) {
          expect(zh).toContain(`${(r.choice.memory.totalBytes / 2 ** 30).toFixed(1)} GiB`);
          expect(zh).toContain(r.choice.quant);
        }
        for (const a of r.alternatives) expect(reasonText(a.noteParts, "fallback")).toMatch(CJK);
      } finally {
        lang.value = "en";
      }
    },
  );

  it("falls back to the agent's English for an unknown key or no parts", () => {
    lang.value = "zh-CN";
    try {
      expect(reasonText(undefined, "English reason.")).toBe("English reason.");
      expect(reasonText([{ key: "model.reason.fromTheFuture", params: {} }], "English reason.")).toBe(
        "English reason.",
      );
    } finally {
      lang.value = "en";
    }
  });
});
