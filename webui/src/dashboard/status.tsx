import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { t } from "../i18n/i18n.js";

interface Sample {
  at: number;
  cpuPercent: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  temperatureC: number | null;
  tokensPerSecond: number;
  requests: number;
}
interface StatusAnswer {
  model: { id: string } | null;
  history: Sample[];
}

/** A small line chart (SVG polyline) of `values` with the latest value as text; accessible by its label. */
export function Sparkline(props: { label: string; values: number[]; unit: string; max?: number }) {
  const w = 160;
  const h = 40;
  const vals = props.values;
  const max = Math.max(props.max ?? 0, ...vals, 1);
  const points = vals
    .map((v, i) => `${(i / Math.max(1, vals.length - 1)) * w},${h - (v / max) * (h - 2) - 1}`)
    .join(" ");
  const last = vals.at(-1);
  return (
    <figure class="chart">
      <figcaption>
        {props.label}:{" "}
        <strong>
          {last === undefined ? t("status.noData") : `${Math.round(last * 10) / 10} ${props.unit}`}
        </strong>
      </figcaption>
      <svg
        viewBox={`0 0 ${w} ${h}`}
        width={w}
        height={h}
        role="img"
        aria-label={`${props.label}, ${t("status.lastHour")}`}
      >
        <polyline
          points={points}
          fill="none"
          stroke="currentColor"
          stroke-width="1.5"
          vector-effect="non-scaling-stroke"
        />
      </svg>
    </figure>
  );
}

/** Status: the loaded model and small charts of the last hour (refreshed every 10 s). */
export function Status() {
  const [s, setS] = useState<StatusAnswer | null>(null);
  useEffect(() => {
    const load = () => void api<StatusAnswer>("GET", "/api/dashboard/status").then(setS, () => {});
    load();
    const timer = setInterval(load, 10_000);
    return () => clearInterval(timer);
  }, []);
  const h = s?.history ?? [];
  const temps = h.map((x) => x.temperatureC).filter((x): x is number => x !== null);
  return (
    <div>
      <p>{s?.model ? t("status.model", { model: s.model.id }) : t("status.noModel")}</p>
      <p class="help">{t("status.lastHour")}</p>
      <div class="charts">
        <Sparkline label={t("status.cpu")} values={h.map((x) => x.cpuPercent)} unit="%" max={100} />
        <Sparkline
          label={t("status.memory")}
          values={h.map((x) => (100 * x.memoryUsedBytes) / x.memoryTotalBytes)}
          unit="%"
          max={100}
        />
        {temps.length > 0 && <Sparkline label={t("status.temperature")} values={temps} unit="°C" />}
        <Sparkline label={t("status.tps")} values={h.map((x) => x.tokensPerSecond)} unit="" />
        <Sparkline label={t("status.requests")} values={h.map((x) => x.requests)} unit="" />
      </div>
    </div>
  );
}
