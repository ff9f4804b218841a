import { useEffect } from "preact/hooks";
import { api } from "../api.js";
import { DownloadProgress, useDownloadState } from "../components/download-progress.js";
import { ErrorLine, useAction } from "../components/form.js";
import { t } from "../i18n/i18n.js";
import { back, details, next } from "./wizard.js";

/** Step 6: downloads the chosen model with live progress; survives reloads; pause (cancel) and resume. */
export function DownloadStep() {
  const model = details.value?.model ?? null;
  const state = useDownloadState("/api/setup/download/events");
  const { busy, error, run } = useAction();
  const start = () => run(async () => void (await api("POST", "/api/setup/download", { model })));
  const status = state?.status ?? "idle";
  const sameModel = state?.ref === model;
  const finished = status === "done" && sameModel;
  useEffect(() => {
    if (finished) void api("POST", "/api/setup/complete", { step: "download" }).catch(() => {});
  }, [finished]);
  if (!model) {
    return (
      <div>
        <p class="note">{t("download.noModel")}</p>
        <div class="actions">
          <button type="button" onClick={() => back("download")}>
            {t("common.back")}
          </button>
          <button
            type="button"
            class="primary"
            onClick={() =>
              void api("POST", "/api/setup/skip", { step: "download" }).then(() => next("download"))
            }
          >
            {t("common.skip")}
          </button>
        </div>
      </div>
    );
  }
  return (
    <div>
      <p>{t("download.intro", { model })}</p>
      {state && sameModel && <DownloadProgress state={state} />}
      {finished && <p role="status">{t("download.done")}</p>}
      {status === "cancelled" && sameModel && <p role="status">{t("download.cancelled")}</p>}
      {status === "error" && sameModel && (
        <p class="error" role="alert">
          {t("download.failed", { message: state?.error ?? "" })}
        </p>
      )}
      <ErrorLine error={error} />
      <div class="actions">
        <button type="button" onClick={() => back("download")}>
          {t("common.back")}
        </button>
        {status === "running" && sameModel ? (
          <button
            type="button"
            onClick={() => void run(async () => void (await api("POST", "/api/setup/download/cancel", {})))}
          >
            {t("download.cancel")}
          </button>
        ) : (
          !finished && (
            <button
              type="button"
              class="primary"
              disabled={busy || status === "running"}
              onClick={() => void start()}
            >
              {(status === "cancelled" || status === "error") && sameModel
                ? t("download.resume")
                : t("download.start")}
            </button>
          )
        )}
        {finished ? (
          <button type="button" class="primary" onClick={() => next("download")}>
            {t("common.next")}
          </button>
        ) : (
          <button
            type="button"
            onClick={() =>
              void api("POST", "/api/setup/skip", { step: "download" }).then(() => next("download"))
            }
          >
            {t("common.skip")}
          </button>
        )}
      </div>
    </div>
  );
}
