import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorLine, Field, Submit, useAction } from "../form.js";
import type { MessageKey } from "../i18n/en.js";
import { t } from "../i18n/i18n.js";
import { back, next } from "./wizard.js";

interface NetworkInfo {
  wifi: boolean;
  reason: string | null;
  networks: { ssid: string; signal: number; security: string; active: boolean }[];
}

/** Step 4: Wi-Fi scan and join through NetworkManager, or why the step is skipped here. */
export function NetworkStep() {
  const [info, setInfo] = useState<NetworkInfo | null>(null);
  const [ssid, setSsid] = useState("");
  const [passphrase, setPassphrase] = useState("");
  const [joined, setJoined] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const scan = () => run(async () => setInfo(await api<NetworkInfo>("GET", "/api/setup/network")));
  useEffect(() => {
    void scan();
  }, []);
  const skip = () =>
    run(async () => {
      await api("POST", "/api/setup/skip", { step: "network" });
      next("network");
    });
  const chosen = info?.networks.find((n) => n.ssid === ssid);
  return (
    <div>
      <p>{t("network.intro")}</p>
      {info && !info.wifi && (
        <p class="note">{t(`network.skipped.${info.reason ?? "no-networkmanager"}` as MessageKey)}</p>
      )}
      {info?.wifi && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              await api("POST", "/api/setup/network", {
                ssid,
                passphrase: chosen?.security ? passphrase : null,
              });
              setJoined(ssid);
            });
          }}
        >
          <fieldset>
            <legend>{t("network.ssid")}</legend>
            {info.networks.map((n) => (
              <label key={n.ssid} class="radio">
                <input
                  type="radio"
                  name="ssid"
                  value={n.ssid}
                  checked={ssid === n.ssid}
                  onChange={() => setSsid(n.ssid)}
                />
                {n.ssid}{" "}
                <small>
                  ({t("network.signal", { n: n.signal })}, {n.security || t("network.open")})
                </small>
              </label>
            ))}
          </fieldset>
          {chosen?.security && (
            <Field label={t("network.passphrase")}>
              {({ id }) => (
                <input
                  id={id}
                  type="password"
                  autoComplete="off"
                  minLength={8}
                  maxLength={63}
                  value={passphrase}
                  onInput={(e) => setPassphrase((e.currentTarget as HTMLInputElement).value)}
                />
              )}
            </Field>
          )}
          {joined && <p role="status">{t("network.joined", { ssid: joined })}</p>}
          <div class="actions">
            <button type="button" onClick={() => void scan()} disabled={busy}>
              {t("network.scan")}
            </button>
            <Submit busy={busy} label={t("network.join")} disabled={!ssid} />
          </div>
        </form>
      )}
      <ErrorLine error={error} />
      <div class="actions">
        <button type="button" onClick={() => back("network")}>
          {t("common.back")}
        </button>
        {joined ? (
          <button type="button" class="primary" onClick={() => next("network")}>
            {t("common.next")}
          </button>
        ) : (
          <button type="button" class="primary" onClick={() => void skip()} disabled={busy || !info}>
            {info?.wifi ? t("common.skip") : t("common.next")}
          </button>
        )}
      </div>
    </div>
  );
}
