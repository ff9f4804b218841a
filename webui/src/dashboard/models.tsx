import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { DownloadProgress, useDownloadState } from "../components/download-progress.js";
import { ErrorLine, Field, useAction } from "../components/form.js";
import { formatFileSize, t } from "../i18n/i18n.js";

interface ModelsAnswer {
  loaded: { id: string; path: string } | null;
  stored: { name: string; path: string; bytes: number; modelId: string | null; quant: string | null }[];
}

/** Models: the current one, switch, pull with progress, delete. */
export function Models() {
  const [m, setM] = useState<ModelsAnswer | null>(null);
  const [ref, setRef] = useState("");
  const { busy, error, run } = useAction();
  const download = useDownloadState("/api/dashboard/models/events");
  const load = () => api<ModelsAnswer>("GET", "/api/dashboard/models").then(setM);
  useEffect(() => {
    void load();
  }, [download?.status]);
  return (
    <div>
      <h2>{t("models.current")}</h2>
      <p>{m?.loaded ? m.loaded.id : t("status.noModel")}</p>
      <h2>{t("models.stored")}</h2>
      <ul class="models">
        {m?.stored.map((s) => {
          const inUse = m.loaded?.path === s.path;
          return (
            <li key={s.name}>
              <span class="mono">{s.name}</span> <small>{formatFileSize(s.bytes)}</small>
              {inUse ? (
                <small class="badge">{t("models.inUse")}</small>
              ) : (
                <>
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() =>
                      void run(async () => {
                        await api("POST", "/api/dashboard/models/use", { model: s.path });
                        await load();
                      })
                    }
                  >
                    {t("models.use")}
                  </button>
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() =>
                      void run(async () => {
                        await api("DELETE", `/api/dashboard/models/${encodeURIComponent(s.name)}`);
                        await load();
                      })
                    }
                  >
                    {t("models.delete")}
                  </button>
                </>
              )}
            </li>
          );
        })}
      </ul>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => void (await api("POST", "/api/dashboard/models/pull", { model: ref.trim() })));
        }}
      >
        <Field label={t("models.pull")} help={t("models.pullHelp")}>
          {({ id, describedBy }) => (
            <input
              id={id}
              value={ref}
              aria-describedby={describedBy}
              onInput={(e) => setRef((e.currentTarget as HTMLInputElement).value)}
            />
          )}
        </Field>
        <div class="actions">
          {download?.status === "running" ? (
            <button
              type="button"
              onClick={() =>
                void run(async () => void (await api("POST", "/api/dashboard/models/cancel", {})))
              }
            >
              {t("download.cancel")}
            </button>
          ) : (
            <button type="submit" class="primary" disabled={busy || !ref.trim()}>
              {t("download.start")}
            </button>
          )}
        </div>
      </form>
      {download && download.status !== "idle" && <DownloadProgress state={download} />}
      {download?.status === "error" && (
        <p class="error">{t("download.failed", { message: download.error ?? "" })}</p>
      )}
      <ErrorLine error={error} />
    </div>
  );
}
