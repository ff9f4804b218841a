import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import type { MessageKey } from "../i18n/en.js";
import { t } from "../i18n/i18n.js";
import { ErrorLine, Field, formValue, Submit, useAction } from "./form.js";

export interface NetworkInfo {
  wifi: boolean;
  reason: string | null;
  networks: { ssid: string; signal: number; security: string; active: boolean }[];
}

/**
 * Wi-Fi scan + join against `url` (`/api/setup/network` in the wizard, `/api/dashboard/network` in the
 * dashboard: same shapes). Without Wi-Fi it explains why. Calls `onInfo` after each scan and `onJoined`.
 */
export function WifiPicker(props: {
  url: string;
  onInfo?: (info: NetworkInfo) => void;
  onJoined?: (ssid: string) => void;
}) {
  const [info, setInfo] = useState<NetworkInfo | null>(null);
  const [ssid, setSsid] = useState("");
  const [joined, setJoined] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const scan = () =>
    run(async () => {
      const next = await api<NetworkInfo>("GET", props.url);
      setInfo(next);
      props.onInfo?.(next);
    });
  useEffect(() => {
    void scan();
  }, [props.url]);
  const chosen = info?.networks.find((n) => n.ssid === ssid);
  return (
    <div>
      {info && !info.wifi && (
        <p class="note">{t(`network.skipped.${info.reason ?? "no-networkmanager"}` as MessageKey)}</p>
      )}
      {info?.wifi && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const passphrase = chosen?.security ? formValue(e.currentTarget, "passphrase") : null;
            void run(async () => {
              await api("POST", props.url, { ssid, passphrase });
              setJoined(ssid);
              props.onJoined?.(ssid);
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
                  name="passphrase"
                  type="password"
                  autoComplete="off"
                  minLength={8}
                  maxLength={63}
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
    </div>
  );
}
