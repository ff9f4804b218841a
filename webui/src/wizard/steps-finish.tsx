import { ApiError, api } from "../api.js";
import { route } from "../app.js";
import { ErrorLine, Submit, useAction } from "../components/form.js";
import { t } from "../i18n/i18n.js";
import { rememberSetupCode } from "../state.js";
import { back, details } from "./wizard.js";

/** Step 9: summary and finish → the agent sets the session cookie → dashboard. */
export function FinishStep() {
  const { busy, error, run } = useAction();
  const d = details.value;
  const incomplete = error instanceof ApiError && error.code === "setup_incomplete";
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          await api("POST", "/api/setup/finish", {});
          rememberSetupCode("");
          location.hash = "#/status";
          await route();
        });
      }}
    >
      <p>{t("finish.intro")}</p>
      {d && (
        <p class="summary">{t("finish.summary", { name: d.device?.name ?? "?", admin: d.admin ?? "?" })}</p>
      )}
      {incomplete ? (
        <p class="error" role="alert">
          {t("finish.incomplete")}
        </p>
      ) : (
        <ErrorLine error={error} />
      )}
      <div class="actions">
        <button type="button" onClick={() => back("finish")}>
          {t("common.back")}
        </button>
        <Submit busy={busy} label={t("finish.button")} />
      </div>
    </form>
  );
}
