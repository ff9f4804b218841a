import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import type { SshKey } from "../api-types.js";
import { CopyBox, curlExample } from "../components/copy-box.js";
import { ErrorLine, Field, Submit, useAction } from "../components/form.js";
import { WifiPicker } from "../components/wifi-picker.js";
import { t } from "../i18n/i18n.js";
import { Accounts } from "./accounts.js";

/** Settings: device, network, API token (rotate), SSH keys, backup download. */
export function Settings() {
  const [name, setName] = useState("");
  const [zone, setZone] = useState("UTC");
  const [token, setToken] = useState("");
  const [keys, setKeys] = useState<SshKey[]>([]);
  const [newKey, setNewKey] = useState("");
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  useEffect(() => {
    void api<{ device: { name: string; timezone: string } | null }>("GET", "/api/dashboard/device").then(
      (r) => {
        setName(r.device?.name ?? "");
        setZone(r.device?.timezone ?? "UTC");
      },
    );
    void api<{ token: string }>("GET", "/api/dashboard/token").then((r) => setToken(r.token));
    void api<{ keys: SshKey[] }>("GET", "/api/dashboard/ssh-keys").then((r) => setKeys(r.keys));
  }, []);
  const zones = Intl.supportedValuesOf?.("timeZone") ?? [zone];
  return (
    <div class="settings">
      <section>
        <h2>{t("settings.device")}</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              await api("POST", "/api/dashboard/device", { name, timezone: zone });
              setSaved(true);
            });
          }}
        >
          <Field label={t("device.name")} help={t("device.nameHelp")}>
            {({ id, describedBy }) => (
              <input
                id={id}
                value={name}
                aria-describedby={describedBy}
                onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
              />
            )}
          </Field>
          <Field label={t("device.timezone")}>
            {({ id }) => (
              <select
                id={id}
                value={zone}
                onChange={(e) => setZone((e.currentTarget as HTMLSelectElement).value)}
              >
                {[...new Set(["UTC", ...zones])].map((z) => (
                  <option key={z} value={z}>
                    {z}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {saved && <p role="status">{t("settings.saved")}</p>}
          <div class="actions">
            <Submit busy={busy} label={t("common.save")} />
          </div>
        </form>
      </section>
      <section>
        <h2>{t("settings.network")}</h2>
        <WifiPicker url="/api/dashboard/network" />
      </section>
      <section>
        <h2>{t("settings.token")}</h2>
        {token && <CopyBox label={t("messaging.token")} value={token} />}
        {token && <CopyBox label={t("messaging.curl")} value={curlExample(token)} multiline />}
        <p class="help">{t("settings.rotateHelp")}</p>
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            void run(async () =>
              setToken((await api<{ token: string }>("POST", "/api/dashboard/token/rotate")).token),
            )
          }
        >
          {t("settings.rotate")}
        </button>
      </section>
      <section>
        <h2>{t("settings.ssh")}</h2>
        <ul class="keys">
          {keys.map((k) => (
            <li key={k.fingerprint}>
              <span class="mono">
                {k.type} {k.fingerprint} {k.comment}
              </span>
              <button
                type="button"
                onClick={() =>
                  void run(async () =>
                    setKeys(
                      (
                        await api<{ keys: SshKey[] }>(
                          "DELETE",
                          `/api/dashboard/ssh-keys?fingerprint=${encodeURIComponent(k.fingerprint)}`,
                        )
                      ).keys,
                    ),
                  )
                }
              >
                {t("settings.remove")}
              </button>
            </li>
          ))}
        </ul>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              const r = await api<{ key: SshKey }>("POST", "/api/dashboard/ssh-keys", { key: newKey });
              setKeys([...keys.filter((k) => k.fingerprint !== r.key.fingerprint), r.key]);
              setNewKey("");
            });
          }}
        >
          <Field label={t("remote.key")} help={t("remote.keyHelp")}>
            {({ id, describedBy }) => (
              <textarea
                id={id}
                rows={2}
                class="mono"
                value={newKey}
                aria-describedby={describedBy}
                onInput={(e) => setNewKey((e.currentTarget as HTMLTextAreaElement).value)}
              />
            )}
          </Field>
          <div class="actions">
            <button type="submit" disabled={busy || !newKey.trim()}>
              {t("remote.add")}
            </button>
          </div>
        </form>
      </section>
      <section>
        <h2>{t("settings.backup")}</h2>
        <p class="help">{t("settings.backupHelp")}</p>
        <a class="button" href="/api/dashboard/backup" download>
          {t("settings.download")}
        </a>
      </section>
      <ErrorLine error={error} />
      <Accounts />
    </div>
  );
}
