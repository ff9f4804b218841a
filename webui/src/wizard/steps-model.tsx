import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorLine, Field, useAction } from "../components/form.js";
import { formatFileSize, formatMemory, t } from "../i18n/i18n.js";
import { reasonText } from "./model-reason.js";
import type { Fit, HardwareOverview } from "./types.js";
import { back, details, next } from "./wizard.js";

const FIT_LEVEL: Record<Fit, number> = {
  fits: 1,
  tight: 0.7,
  "too-slow": 0.45,
  "no-disk": 0.3,
  "too-large": 0.15,
};

/** A fit bar: a meter whose value and text say fits / tight / too large / too slow. */
export function FitBar(props: { fit: Fit }) {
  return (
    <span class={`fit fit-${props.fit}`}>
      <meter
        min={0}
        max={1}
        low={0.4}
        high={0.8}
        optimum={1}
        value={FIT_LEVEL[props.fit]}
        aria-hidden="true"
      />
      <span>{t(`model.fit.${props.fit}`)}</span>
    </span>
  );
}

/** Alternatives shown before "More models". */
const SHOWN = 3;

type Alternative = HardwareOverview["recommendation"]["alternatives"][number];

/** Alternative models with their fit bar, speed and why they were not chosen. */
function Alternatives(props: { list: Alternative[]; busy: boolean; choose: (model: string) => void }) {
  return (
    <ul class="alternatives">
      {props.list.map((a) => (
        <li key={`${a.model}-${a.quant}`} class="model-card">
          <strong>
            {a.model} <small>{a.quant}</small>
          </strong>
          <FitBar fit={a.fit} />
          <span>
            {formatFileSize(a.fileBytes)} · {t("model.speed", { tps: a.estimatedTokensPerSecond.toFixed(1) })}
          </span>
          <small>{reasonText(a.noteParts, a.note)}</small>
          {(a.fit === "fits" || a.fit === "tight") && (
            <button type="button" disabled={props.busy} onClick={() => props.choose(a.model)}>
              {t("model.choose")}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

/** Step 5: the hardware in plain words, the recommended model with reason and numbers, alternatives. */
export function ModelStep() {
  const [hw, setHw] = useState<HardwareOverview | null>(null);
  const [other, setOther] = useState("");
  const { busy, error, run } = useAction();
  const [loadError, setLoadError] = useState(false);
  useEffect(() => {
    api<HardwareOverview>("GET", "/api/setup/hardware").then(setHw, () => setLoadError(true));
  }, []);
  const choose = (model: string) =>
    run(async () => {
      await api("POST", "/api/setup/model", { model });
      next("model");
    });
  const rec = hw?.recommendation;
  const r = hw?.report;
  return (
    <div>
      {loadError && <p class="note">{t("model.unavailable")}</p>}
      {r && hw && (
        <section aria-labelledby="hw-h">
          <h2 id="hw-h">{t("model.hardware")}</h2>
          <ul class="facts">
            <li>{t("model.cpu", { model: r.cpu.model, cores: r.cpu.physicalCores })}</li>
            <li>
              {t("model.memory", {
                total: formatMemory(r.memory.totalBytes),
                available: formatMemory(r.memory.availableBytes),
              })}
            </li>
            <li>
              {r.gpus.length
                ? t("model.gpu", { gpu: r.gpus.map((g) => g.model).join(", ") })
                : t("model.noGpu")}
            </li>
            <li>{t("model.disk", { free: formatFileSize(r.diskFreeBytes) })}</li>
            <li>{t("model.profile", { profile: hw.profile })}</li>
          </ul>
        </section>
      )}
      {rec && (
        <section aria-labelledby="rec-h">
          <h2 id="rec-h">{t("model.recommended")}</h2>
          {rec.choice ? (
            <div class="model-card recommended">
              <strong>
                {rec.choice.model} <small>{rec.choice.quant}</small>
              </strong>
              <FitBar fit="fits" />
              <p>
                {t("model.numbers", {
                  size: formatFileSize(rec.choice.fileBytes),
                  memory: formatMemory(rec.choice.memory.totalBytes),
                  tps: rec.choice.estimatedTokensPerSecond.toFixed(1),
                  ctx: rec.choice.contextSize,
                })}
              </p>
              <details>
                <summary>{t("model.reason")}</summary>
                <p class="reason">{reasonText(rec.reasonParts, rec.reason)}</p>
              </details>
              <button
                type="button"
                class="primary"
                disabled={busy}
                onClick={() => void choose(rec.choice?.model ?? "")}
              >
                {details.value?.model === rec.choice.model ? t("model.chosen") : t("model.choose")}
              </button>
            </div>
          ) : (
            <p class="note">
              {t("model.none")} <span class="reason">{reasonText(rec.reasonParts, rec.reason)}</span>
            </p>
          )}
          {rec.alternatives.length > 0 && (
            <>
              <h2>{t("model.alternatives")}</h2>
              <Alternatives list={rec.alternatives.slice(0, SHOWN)} busy={busy} choose={choose} />
              {rec.alternatives.length > SHOWN && (
                <details>
                  <summary>{t("model.more", { n: rec.alternatives.length - SHOWN })}</summary>
                  <Alternatives list={rec.alternatives.slice(SHOWN)} busy={busy} choose={choose} />
                </details>
              )}
            </>
          )}
        </section>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (other.trim()) void choose(other.trim());
        }}
      >
        <Field label={t("models.pull")} help={t("models.pullHelp")}>
          {({ id, describedBy }) => (
            <input
              id={id}
              name="model-ref"
              value={other}
              spellcheck={false}
              autoCapitalize="none"
              aria-describedby={describedBy}
              onInput={(e) => setOther((e.currentTarget as HTMLInputElement).value)}
            />
          )}
        </Field>
        <div class="actions">
          <button type="submit" disabled={busy || !other.trim()}>
            {t("model.choose")}
          </button>
        </div>
      </form>
      <ErrorLine error={error} />
      <div class="actions">
        <button type="button" onClick={() => back("model")}>
          {t("common.back")}
        </button>
        <button
          type="button"
          onClick={() =>
            void run(async () => {
              await api("POST", "/api/setup/skip", { step: "model" });
              await api("POST", "/api/setup/skip", { step: "download" });
              next("download");
            })
          }
        >
          {t("common.skip")}
        </button>
      </div>
    </div>
  );
}
