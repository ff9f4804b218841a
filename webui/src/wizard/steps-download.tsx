import { useEffect, useState } from "preact/hooks";
import { api, authHeaders, readSse } from "../api.js";
import { ErrorLine, useAction } from "../form.js";
import { formatDuration, formatFileSize, t } from "../i18n/i18n.js";
import type { DownloadState } from "./types.js";
import { back, details, next } from "./wizard.js";

/**
 * Follows a download over SSE (`events` URL) and keeps the latest state; the stream reconnects after
 * an error, and a page reload simply subscribes again (the state lives in the agent).
 */
export function useDownloadState(events: string): DownloadState | null {
  const [state, setState] = useState<DownloadState | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    const loop = async () => {
      while (!abort.signal.aborted) {
        try {
          await readSse(
            events,
            { headers: authHeaders(events) },
            (d) => setState(d as DownloadState),
            abort.signal,
          );
        } catch {
          // dropped stream: retry below
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void loop();
    return () => abort.abort();
  }, [events]);
  return state;
}

/** Progress bar with bytes, rate and ETA. */
export function DownloadProgress(props: { state: DownloadState }) {
  const p = props.state.progress;
  if (!p) return null;
  const total = p.totalBytes ?? 0;
  return (
    <div class="download">
      <progress
        aria-label={t("download.progressLabel")}
        max={total || 1}
        value={total ? p.downloadedBytes : 0}
      />
      <p aria-live="polite" class="download-text">
        {t("download.progress", {
          done: formatFileSize(p.downloadedBytes),
          total: total ? formatFileSize(total) : "?",
        })}
        {props.state.status === "running" && (
          <>
            {" · "}
            {t("download.rate", { rate: formatFileSize(p.bytesPerSecond) })}
            {p.etaSeconds !== null && ` · ${t("download.eta", { eta: formatDuration(p.etaSeconds) })}`}
          </>
        )}
      </p>
    </div>
  );
}

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
