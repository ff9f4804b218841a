import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import type { SshKey } from "../api-types.js";
import { BridgeEditor } from "../bridges/bridge-editor.js";
import { BridgeList } from "../bridges/bridge-list.js";
import type { BridgeOverview, BridgeTypeInfo } from "../bridges/bridge-types.js";
import { CopyBox, curlExample } from "../components/copy-box.js";
import { ErrorLine, Field, Submit, useAction } from "../components/form.js";
import { t } from "../i18n/i18n.js";
import { back, details, next } from "./wizard.js";

/** Step 7: set up a messaging bridge (or later), and the API token with a curl example. */
export function MessagingStep() {
  const [token, setToken] = useState("");
  const [types, setTypes] = useState<BridgeTypeInfo[]>([]);
  const [bridges, setBridges] = useState<BridgeOverview[]>([]);
  const [message, setMessage] = useState("");
  const [round, setRound] = useState(0);
  const { busy, error, run } = useAction();
  const loadBridges = () =>
    api<{ bridges: BridgeOverview[] }>("GET", "/api/setup/bridges").then((r) => setBridges(r.bridges));
  useEffect(() => {
    void api<{ token: string }>("GET", "/api/setup/api-token").then((r) => setToken(r.token));
    void api<{ types: BridgeTypeInfo[] }>("GET", "/api/setup/bridge-types").then((r) => setTypes(r.types));
    void loadBridges();
  }, []);
  return (
    <div>
      <p>{t("messaging.intro")}</p>
      {bridges.length > 0 && (
        <>
          <h2>{t("messaging.yours")}</h2>
          <BridgeList bridges={bridges} />
        </>
      )}
      {message && (
        <p role="status" class="ok">
          {message}
        </p>
      )}
      {types.length > 0 && (
        <>
          {bridges.length > 0 && <h2>{t("messaging.addAnother")}</h2>}
          <BridgeEditor
            key={round}
            base="/api/setup"
            types={types}
            takenIds={bridges.map((b) => b.id)}
            typeLabel={t("messaging.choose")}
            noTypeLabel={t("common.skip")}
            onSaved={(answer) => {
              const { id, savedTo } = answer.change;
              setMessage(savedTo ? t("bridges.saved", { id }) : t("bridges.savedMemory", { id }));
              setRound(round + 1);
              void loadBridges();
            }}
          />
        </>
      )}
      <p>{t("messaging.api")}</p>
      {token && <CopyBox label={t("messaging.token")} value={token} />}
      {token && <CopyBox label={t("messaging.curl")} value={curlExample(token)} multiline />}
      <ErrorLine error={error} />
      <div class="actions">
        <button type="button" onClick={() => back("messaging")}>
          {t("common.back")}
        </button>
        <button
          type="button"
          class="primary"
          disabled={busy}
          onClick={() =>
            void run(async () => {
              await api("POST", `/api/setup/${bridges.length > 0 ? "complete" : "skip"}`, {
                step: "messaging",
              });
              next("messaging");
            })
          }
        >
          {t("common.next")}
        </button>
      </div>
    </div>
  );
}

/** Step 8: paste SSH public keys for fleet administration (validated by the agent). */
export function RemoteStep() {
  const [key, setKey] = useState("");
  const [added, setAdded] = useState<SshKey | null>(null);
  const { busy, error, run } = useAction();
  const keys = details.value?.sshKeys ?? [];
  return (
    <div>
      <p>{t("remote.intro")}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const r = await api<{ key: SshKey }>("POST", "/api/setup/ssh-key", { key });
            setAdded(r.key);
            setKey("");
            const d = await api<typeof details.value>("GET", "/api/setup/details");
            details.value = d;
          });
        }}
      >
        <Field label={t("remote.key")} help={t("remote.keyHelp")} error={error ? error.message : null}>
          {({ id, describedBy, invalid }) => (
            <textarea
              id={id}
              name="ssh-key"
              rows={3}
              class="mono"
              spellcheck={false}
              value={key}
              aria-describedby={describedBy}
              aria-invalid={invalid}
              onInput={(e) => setKey((e.currentTarget as HTMLTextAreaElement).value)}
            />
          )}
        </Field>
        {added && (
          <p role="status">{t("remote.added", { type: added.type, fingerprint: added.fingerprint })}</p>
        )}
        <div class="actions">
          <Submit busy={busy} label={t("remote.add")} disabled={!key.trim()} />
        </div>
      </form>
      {keys.length > 0 && (
        <>
          <h2>{t("remote.keys")}</h2>
          <ul class="keys">
            {keys.map((k) => (
              <li key={k.fingerprint} class="mono">
                {k.type} {k.fingerprint} {k.comment}
              </li>
            ))}
          </ul>
        </>
      )}
      <div class="actions">
        <button type="button" onClick={() => back("remote")}>
          {t("common.back")}
        </button>
        <button
          type="button"
          class="primary"
          onClick={() =>
            void (keys.length ? Promise.resolve() : api("POST", "/api/setup/skip", { step: "remote" })).then(
              () => next("remote"),
            )
          }
        >
          {keys.length ? t("common.next") : t("common.skip")}
        </button>
      </div>
      <ErrorLine error={null} />
    </div>
  );
}
