import type { MessageKey } from "../i18n/en.js";
import { t } from "../i18n/i18n.js";
import type { BridgeOverview } from "./bridge-types.js";

/** A bridge's state in words: "connected", "error", … ("disabled" when switched off in its settings). */
export function stateText(b: BridgeOverview): string {
  return b.enabled ? t(`bridges.state.${b.state}` as MessageKey) : t("bridges.disabled");
}

/**
 * The configured bridges with state, last error and its fix; `actions` renders the buttons of one
 * bridge (edit/remove in the dashboard, none in the wizard).
 */
export function BridgeList(props: {
  bridges: BridgeOverview[];
  actions?: (b: BridgeOverview) => preact.ComponentChildren;
}) {
  if (props.bridges.length === 0) return <p class="help">{t("bridges.none")}</p>;
  return (
    <ul class="bridge-list">
      {props.bridges.map((b) => (
        <li key={b.id} data-bridge={b.id}>
          <div class="bridge-head">
            <strong class="mono">{b.id}</strong> <small>{b.type}</small>{" "}
            <span class={`badge state-${b.enabled ? b.state : "stopped"}`}>{stateText(b)}</span>
          </div>
          {b.lastError && <p class="error">{t("bridges.lastError", { error: b.lastError })}</p>}
          {b.lastError && b.fix && <p class="help">{t("bridges.fix", { fix: b.fix })}</p>}
          {(b.warnings ?? []).map((warning) => (
            <p key={warning} class="note">
              {t("bridges.warning", { warning })}
            </p>
          ))}
          {props.actions && <div class="actions">{props.actions(b)}</div>}
        </li>
      ))}
    </ul>
  );
}
