import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorLine, Field, useAction } from "../components/form.js";
import { t } from "../i18n/i18n.js";

interface LogLine {
  level: number;
  time: number;
  msg?: string;
  [key: string]: unknown;
}
const LEVELS = ["debug", "info", "warn", "error"] as const;
const LEVEL_NAME: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

/** Logs: the agent's recent structured lines, filtered by minimum level and text. */
export function Logs() {
  const [level, setLevel] = useState("info");
  const [q, setQ] = useState("");
  const [lines, setLines] = useState<LogLine[]>([]);
  const { error, run } = useAction();
  const load = () =>
    run(async () => {
      const params = new URLSearchParams({ level, q, limit: "200" });
      setLines((await api<{ lines: LogLine[] }>("GET", `/api/dashboard/logs?${params}`)).lines);
    });
  useEffect(() => {
    void load();
  }, [level]);
  return (
    <div>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <Field label={t("logs.level")}>
          {({ id }) => (
            <select
              id={id}
              value={level}
              onChange={(e) => setLevel((e.currentTarget as HTMLSelectElement).value)}
            >
              {LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("logs.filter")}>
          {({ id }) => (
            <input
              id={id}
              type="search"
              value={q}
              onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)}
            />
          )}
        </Field>
        <button type="submit">{t("logs.refresh")}</button>
      </form>
      <ErrorLine error={error} />
      {lines.length === 0 ? (
        <p class="note">{t("logs.none")}</p>
      ) : (
        <table class="logs">
          <tbody>
            {lines.map((l, i) => {
              const { level: lv, time, msg, pid: _pid, hostname: _host, name: _name, ...rest } = l;
              return (
                <tr key={i} class={`lv-${LEVEL_NAME[lv] ?? lv}`}>
                  <td class="mono">{new Date(time).toLocaleTimeString([], { hour12: false })}</td>
                  <td>{LEVEL_NAME[lv] ?? lv}</td>
                  <td>
                    {msg}
                    <small class="mono"> {JSON.stringify(rest)}</small>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
