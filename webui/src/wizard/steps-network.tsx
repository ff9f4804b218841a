import { useState } from "preact/hooks";
import { api } from "../api.js";
import { type NetworkInfo, WifiPicker } from "../components/wifi-picker.js";
import { t } from "../i18n/i18n.js";
import { back, next } from "./wizard.js";

/** Step 4: Wi-Fi scan and join through NetworkManager, or why the step is skipped here. */
export function NetworkStep() {
  const [info, setInfo] = useState<NetworkInfo | null>(null);
  const [joined, setJoined] = useState(false);
  const skip = () => void api("POST", "/api/setup/skip", { step: "network" }).then(() => next("network"));
  return (
    <div>
      <p>{t("network.intro")}</p>
      <WifiPicker url="/api/setup/network" onInfo={setInfo} onJoined={() => setJoined(true)} />
      <div class="actions">
        <button type="button" onClick={() => back("network")}>
          {t("common.back")}
        </button>
        {joined ? (
          <button type="button" class="primary" onClick={() => next("network")}>
            {t("common.next")}
          </button>
        ) : (
          <button type="button" class={info?.wifi ? undefined : "primary"} onClick={skip} disabled={!info}>
            {info?.wifi ? t("common.skip") : t("common.next")}
          </button>
        )}
      </div>
    </div>
  );
}
