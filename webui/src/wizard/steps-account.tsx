import { useEffect, useState } from "preact/hooks";
import { ApiError, api, uploadBackup } from "../api.js";
import { chosenBackup } from "../components/backup-file.js";
import { ErrorLine, Field, formValue, Submit, useAction } from "../components/form.js";
import type { MessageKey } from "../i18n/en.js";
import { LANGS, t } from "../i18n/i18n.js";
import { type Lang, lang, rememberSetupCode, setLang, setupCode } from "../state.js";
import { RestoreFields, waitForRestart } from "./restore-backup.js";
import { back, details, next, refreshDetails } from "./wizard.js";

/**
 * Step 1: language, setup code, and how to start — restoring a backup is offered first (a replaced device
 * comes back with its conversations, bridges and pairings), a new setup is preselected. The code is checked
 * by POST /api/setup/welcome, or by POST /api/setup/restore with the backup.
 */
export function WelcomeStep() {
  const [code, setCode] = useState(setupCode.value);
  const [mode, setMode] = useState<"restore" | "new">("new");
  const [restored, setRestored] = useState(false);
  const { busy, error, run } = useAction();
  const codeError =
    error instanceof ApiError
      ? error.status === 401
        ? t("welcome.wrongCode")
        : error.status === 429
          ? t("welcome.tooMany")
          : error.status === 403
            ? t("welcome.notLocal")
            : null
      : null;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        const typed = formValue(e.currentTarget, "setup-code").trim();
        const file = chosenBackup(e.currentTarget);
        const passphrase = formValue(e.currentTarget, "backup-passphrase");
        void run(async () => {
          rememberSetupCode(typed);
          try {
            if (mode === "restore" && file) {
              await uploadBackup("/api/setup/restore", file, passphrase);
              setRestored(true);
              await waitForRestart();
              return;
            }
            await api("POST", "/api/setup/welcome", { language: lang.value });
          } catch (err) {
            rememberSetupCode("");
            throw err;
          }
          next("welcome");
        });
      }}
    >
      <p>{t("welcome.intro")}</p>
      <fieldset class="langs">
        <legend>{t("app.language")}</legend>
        {LANGS.map((l) => (
          <label key={l.id} class="radio">
            <input
              type="radio"
              name="lang"
              value={l.id}
              checked={lang.value === l.id}
              onChange={() => setLang(l.id as Lang)}
            />
            {l.label}
          </label>
        ))}
      </fieldset>
      <Field label={t("welcome.code")} help={t("welcome.codeHelp")} error={codeError}>
        {({ id, describedBy, invalid }) => (
          <input
            id={id}
            name="setup-code"
            class="code"
            autoComplete="one-time-code"
            autoCapitalize="characters"
            spellcheck={false}
            required
            minLength={8}
            maxLength={9}
            value={code}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            onInput={(e) => setCode((e.currentTarget as HTMLInputElement).value)}
          />
        )}
      </Field>
      <fieldset class="langs">
        <legend>{t("welcome.choice")}</legend>
        <label class="radio">
          <input type="radio" name="start" checked={mode === "restore"} onChange={() => setMode("restore")} />
          {t("welcome.restore")}
        </label>
        <label class="radio">
          <input type="radio" name="start" checked={mode === "new"} onChange={() => setMode("new")} />
          {t("welcome.new")}
        </label>
      </fieldset>
      {mode === "restore" && <RestoreFields />}
      {restored && <p aria-live="polite">{t("welcome.restoring")}</p>}
      {!codeError && <ErrorLine error={error} />}
      <div class="actions">
        <Submit busy={busy} label={mode === "restore" ? t("welcome.restoreStart") : t("welcome.start")} />
      </div>
    </form>
  );
}

/** The password problems in an `weak_password` message ("weak password: too-short, common"). */
function problemsOf(error: Error | null): string[] {
  if (!(error instanceof ApiError) || error.code !== "weak_password") return [];
  const list = /weak password: ([a-z, -]+)/.exec(error.message)?.[1] ?? "";
  return list
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
}

/** A rough client-side strength hint (the server decides): length and character variety. */
function strength(pw: string): "weak" | "fair" | "strong" {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
  const n = [...pw].length;
  if (n < 10) return "weak";
  if (n >= 16 || (n >= 12 && classes >= 3)) return "strong";
  return "fair";
}

/** Step 2: admin user name and password (strength shown while typing; the server's verdict is shown per problem). */
export function AdminStep() {
  const [username, setUsername] = useState(details.value?.admin ?? "admin");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const { busy, error, setError, run } = useAction();
  const problems = problemsOf(error);
  const mismatch = confirm.length > 0 && confirm !== password;
  const userError =
    error instanceof ApiError && error.code === "invalid_username" ? t("admin.badUsername") : null;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        const pw = formValue(form, "password");
        if (pw !== formValue(form, "confirm")) {
          setError(new Error(t("admin.mismatch")));
          return;
        }
        const user = formValue(form, "username");
        void run(async () => {
          await api("POST", "/api/setup/admin", { username: user, password: pw });
          next("admin");
        });
      }}
    >
      <p>{t("admin.intro")}</p>
      <Field label={t("admin.username")} help={t("admin.usernameHelp")} error={userError}>
        {({ id, describedBy, invalid }) => (
          <input
            id={id}
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            required
            value={username}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            onInput={(e) => setUsername((e.currentTarget as HTMLInputElement).value)}
          />
        )}
      </Field>
      <Field
        label={t("admin.password")}
        help={`${t("admin.passwordHelp")} ${password ? t("admin.strength", { level: t(`admin.strength.${strength(password)}`) }) : ""}`}
        error={
          problems.length > 0 ? problems.map((p) => t(`admin.problem.${p}` as MessageKey)).join(" ") : null
        }
      >
        {({ id, describedBy, invalid }) => (
          <input
            id={id}
            name="password"
            type="password"
            autoComplete="new-password"
            required
            value={password}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)}
          />
        )}
      </Field>
      <Field label={t("admin.confirm")} error={mismatch ? t("admin.mismatch") : null}>
        {({ id, describedBy, invalid }) => (
          <input
            id={id}
            name="confirm"
            type="password"
            autoComplete="new-password"
            required
            value={confirm}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            onInput={(e) => setConfirm((e.currentTarget as HTMLInputElement).value)}
          />
        )}
      </Field>
      {problems.length === 0 && !userError && <ErrorLine error={error} />}
      <div class="actions">
        <button type="button" onClick={() => back("admin")}>
          {t("common.back")}
        </button>
        <Submit busy={busy} label={t("common.next")} />
      </div>
    </form>
  );
}

/** Step 3: device name (→ host name) and time zone (IANA list from the agent). */
export function DeviceStep() {
  const [name, setName] = useState(details.value?.device?.name ?? "clawbox");
  const [zones, setZones] = useState<string[]>([]);
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const [zone, setZone] = useState(details.value?.device?.timezone ?? browserZone ?? "UTC");
  const { busy, error, run } = useAction();
  useEffect(() => {
    void api<{ timezones: string[] }>("GET", "/api/setup/timezones").then((r) => setZones(r.timezones));
    void refreshDetails().catch(() => {});
  }, []);
  const code = error instanceof ApiError ? error.code : null;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        const body = {
          name: formValue(e.currentTarget, "device-name"),
          timezone: formValue(e.currentTarget, "timezone"),
        };
        void run(async () => {
          await api("POST", "/api/setup/device", body);
          next("device");
        });
      }}
    >
      <p>{t("device.intro", { name: name.toLowerCase() || "clawbox" })}</p>
      <Field
        label={t("device.name")}
        help={t("device.nameHelp")}
        error={code === "invalid_device_name" ? t("device.badName") : null}
      >
        {({ id, describedBy, invalid }) => (
          <input
            id={id}
            name="device-name"
            required
            maxLength={63}
            autoCapitalize="none"
            spellcheck={false}
            value={name}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
          />
        )}
      </Field>
      <Field
        label={t("device.timezone")}
        error={code === "invalid_timezone" ? t("device.badTimezone") : null}
      >
        {({ id, describedBy, invalid }) => (
          <select
            id={id}
            name="timezone"
            value={zone}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            onChange={(e) => setZone((e.currentTarget as HTMLSelectElement).value)}
          >
            {(zones.length ? zones : [zone]).map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        )}
      </Field>
      {code !== "invalid_device_name" && code !== "invalid_timezone" && <ErrorLine error={error} />}
      <div class="actions">
        <button type="button" onClick={() => back("device")}>
          {t("common.back")}
        </button>
        <Submit busy={busy} label={t("common.next")} />
      </div>
    </form>
  );
}
