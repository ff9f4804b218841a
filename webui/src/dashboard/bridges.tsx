import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { BridgeEditor } from "../bridges/bridge-editor.js";
import { BridgeList } from "../bridges/bridge-list.js";
import type { BridgeChangeAnswer, BridgeOverview, BridgeTypeInfo } from "../bridges/bridge-types.js";
import { ErrorLine, useAction } from "../components/form.js";
import { t } from "../i18n/i18n.js";

/** How often the list refreshes its states, ms (a bridge connects or fails within seconds). */
const REFRESH_MS = 3000;

/** Dashboard "Bridges": the list with state and last error, add/edit with test connection, remove (confirmed). */
export function Bridges() {
  const [bridges, setBridges] = useState<BridgeOverview[] | null>(null);
  const [types, setTypes] = useState<BridgeTypeInfo[]>([]);
  /** null = list only, "new" = add form, else the id being edited. */
  const [editing, setEditing] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [message, setMessage] = useState("");
  const { busy, error, run } = useAction();
  const load = () =>
    api<{ bridges: BridgeOverview[] }>("GET", "/api/dashboard/bridges").then((r) => setBridges(r.bridges));
  useEffect(() => {
    void api<{ types: BridgeTypeInfo[] }>("GET", "/api/dashboard/bridge-types").then((r) =>
      setTypes(r.types),
    );
    void load();
    const timer = setInterval(() => void load().catch(() => {}), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const saved = (answer: BridgeChangeAnswer) => {
    const { id, savedTo } = answer.change;
    setMessage(savedTo ? t("bridges.saved", { id }) : t("bridges.savedMemory", { id }));
    setEditing(null);
    void load();
  };
  const existing = editing && editing !== "new" ? bridges?.find((b) => b.id === editing) : undefined;
  return (
    <div>
      <p>{t("bridges.intro")}</p>
      {message && (
        <p role="status" class="ok">
          {message}
        </p>
      )}
      {editing === null && (
        <>
          <BridgeList
            bridges={bridges ?? []}
            actions={(b) =>
              confirming === b.id ? (
                <>
                  <span class="confirm" role="alert">
                    {t("bridges.confirmRemove", { id: b.id })}
                  </span>
                  <button type="button" onClick={() => setConfirming(null)}>
                    {t("common.cancel")}
                  </button>
                  <button
                    type="button"
                    class="danger"
                    disabled={busy}
                    onClick={() =>
                      void run(async () => {
                        await api("DELETE", `/api/dashboard/bridges/${encodeURIComponent(b.id)}`);
                        setConfirming(null);
                        setMessage(t("bridges.removed", { id: b.id }));
                        await load();
                      })
                    }
                  >
                    {t("bridges.confirmYes")}
                  </button>
                </>
              ) : (
                <>
                  <button
                    type="button"
                    onClick={() => setEditing(b.id)}
                    aria-label={`${t("bridges.edit")} ${b.id}`}
                  >
                    {t("bridges.edit")}
                  </button>
                  <button
                    type="button"
                    onClick={() => setConfirming(b.id)}
                    aria-label={`${t("bridges.remove")} ${b.id}`}
                  >
                    {t("bridges.remove")}
                  </button>
                </>
              )
            }
          />
          <ErrorLine error={error} />
          <div class="actions">
            <button
              type="button"
              class="primary"
              disabled={types.length === 0}
              onClick={() => {
                setMessage("");
                setEditing("new");
              }}
            >
              {t("bridges.add")}
            </button>
          </div>
        </>
      )}
      {editing !== null && (
        <>
          <h2>{existing ? t("bridges.editing", { id: existing.id }) : t("bridges.add")}</h2>
          <BridgeEditor
            key={editing}
            base="/api/dashboard"
            types={types}
            existing={existing}
            takenIds={(bridges ?? []).map((b) => b.id)}
            onSaved={saved}
            onCancel={() => setEditing(null)}
          />
        </>
      )}
    </div>
  );
}
