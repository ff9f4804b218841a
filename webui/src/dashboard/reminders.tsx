import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorLine, Field, formValue, useAction } from "../components/form.js";
import { t } from "../i18n/i18n.js";

interface Reminder {
  id: number;
  bridgeId: string;
  chatId: string;
  text: string;
  cron: string | null;
  label: string;
  timezone: string;
  nextRunAt: string;
}

/**
 * Reminders: every active one (set in chat with /remind and /every, or here) with its next run, a form to
 * add one for a chat of a bridge, and removal. Times are read in the device's time zone.
 */
export function Reminders() {
  const [list, setList] = useState<Reminder[]>([]);
  const [timezone, setTimezone] = useState("");
  const [bridges, setBridges] = useState<string[]>([]);
  const { error, busy, run } = useAction();
  const load = async () => {
    const r = await api<{ reminders: Reminder[]; timezone: string }>("GET", "/api/dashboard/reminders");
    setList(r.reminders);
    setTimezone(r.timezone);
  };
  useEffect(() => {
    void run(async () => {
      await load();
      const b = await api<{ bridges: { id: string }[] }>("GET", "/api/dashboard/bridges");
      setBridges(b.bridges.map((x) => x.id));
    });
  }, []);
  return (
    <div>
      <p class="help">{t("reminders.help", { timezone })}</p>
      {list.length === 0 ? (
        <p class="note">{t("reminders.empty")}</p>
      ) : (
        <ul class="list">
          {list.map((r) => (
            <li key={r.id}>
              <strong>#{r.id}</strong> {r.cron ? t("reminders.every", { label: r.label }) : ""}{" "}
              {t("reminders.next", { when: new Date(r.nextRunAt).toLocaleString() })} — {r.text}{" "}
              <small>
                ({r.bridgeId} / {r.chatId})
              </small>{" "}
              <button
                type="button"
                class="secondary"
                onClick={() =>
                  void run(async () => {
                    await api("DELETE", `/api/dashboard/reminders/${r.id}`);
                    await load();
                  })
                }
              >
                {t("reminders.remove")}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          void run(async () => {
            await api("POST", "/api/dashboard/reminders", {
              bridgeId: formValue(form, "bridgeId"),
              chatId: formValue(form, "chatId"),
              repeat: (form.elements.namedItem("repeat") as HTMLInputElement).checked,
              when: formValue(form, "when"),
              text: formValue(form, "text"),
            });
            form.reset();
            await load();
          });
        }}
      >
        <h2>{t("reminders.add")}</h2>
        <Field label={t("reminders.bridge")}>
          {({ id }) => (
            <select id={id} name="bridgeId" required>
              {bridges.map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("reminders.chat")} help={t("reminders.chatHelp")}>
          {({ id, describedBy }) => <input id={id} name="chatId" required aria-describedby={describedBy} />}
        </Field>
        <Field label={t("reminders.when")} help={t("reminders.whenHelp")}>
          {({ id, describedBy }) => <input id={id} name="when" required aria-describedby={describedBy} />}
        </Field>
        <label class="check">
          <input type="checkbox" name="repeat" /> {t("reminders.repeat")}
        </label>
        <Field label={t("reminders.text")}>
          {({ id }) => <input id={id} name="text" required maxLength={1000} />}
        </Field>
        <ErrorLine error={error} />
        <button type="submit" disabled={busy}>
          {t("reminders.save")}
        </button>
      </form>
    </div>
  );
}
