import { useEffect, useState } from "preact/hooks";
import { authHeaders, readSse } from "../api.js";
import type { DownloadState } from "../api-types.js";
import { formatDuration, formatFileSize, t } from "../i18n/i18n.js";

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
