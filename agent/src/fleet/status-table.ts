import { formatFileSize } from "../format/bytes.js";
import { formatTable } from "../format/table.js";
import type { DeviceStatus } from "./device-status.js";
import type { FleetHostStatus } from "./fleet-status.js";

/** Seconds as the largest two units: 59 → "59s", 3725 → "1h 2m", 200000 → "2d 7h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** `clawbox status` for humans: one "key: value" line per field. */
export function formatDeviceStatus(s: DeviceStatus): string {
  const lines = [
    ["version", s.version],
    ["health", s.reason ? `${s.health} (${s.reason})` : s.health],
    ["model", s.model ?? "-"],
    ["uptime", s.uptimeSeconds === null ? "-" : formatDuration(s.uptimeSeconds)],
    ["system uptime", formatDuration(s.systemUptimeSeconds)],
    ["temperature", s.temperatureC === null ? "-" : `${s.temperatureC} °C`],
    ["tokens/s", s.tokensPerSecond === null ? "-" : String(s.tokensPerSecond)],
    [
      "disk free",
      `${formatFileSize(s.disk.freeBytes)} of ${formatFileSize(s.disk.totalBytes)} (${s.disk.path})`,
    ],
  ];
  const text = `${lines.map(([k, v]) => `${`${k}:`.padEnd(15)}${v}`).join("\n")}\n`;
  return s.jobs && s.jobs.length > 0 ? `${text}${formatJobs(s.jobs)}` : text;
}

/** The jobs block of `clawbox status`: one line per job with next run, last run and its result. */
export function formatJobs(jobs: NonNullable<DeviceStatus["jobs"]>): string {
  const rows = jobs.map((j) => {
    const last = j.lastRun
      ? `${j.lastRun.finishedAt} ${j.lastRun.ok ? "ok" : "FAILED"}: ${j.lastRun.result}`
      : "never";
    return `  ${j.name.padEnd(20)}next ${j.nextRun ?? "-"}  last ${last}`;
  });
  return `jobs (${jobs[0]?.timezone ?? "?"}):\n${rows.join("\n")}\n`;
}

/** Column headers of the fleet table, in order. */
export const FLEET_COLUMNS = [
  "HOST",
  "REACHABLE",
  "VERSION",
  "MODEL",
  "HEALTH",
  "UPTIME",
  "TEMP",
  "TOK/S",
  "DISK FREE",
] as const;

/**
 * The `clawbox fleet status` table: one row per host in inventory order, columns padded to their widest
 * cell, unreachable hosts followed by their reason on an indented line.
 */
export function formatFleetTable(rows: FleetHostStatus[]): string {
  const cells = rows.map((r): string[] => {
    const s = r.status;
    return [
      r.host,
      r.reachable ? "yes" : "no",
      s?.version ?? "-",
      s?.model ?? "-",
      s?.health ?? (r.reachable ? "?" : "-"),
      s?.uptimeSeconds != null ? formatDuration(s.uptimeSeconds) : "-",
      s?.temperatureC != null ? `${s.temperatureC}°C` : "-",
      s?.tokensPerSecond != null ? String(s.tokensPerSecond) : "-",
      s ? formatFileSize(s.disk.freeBytes) : "-",
    ];
  });
  const lines = formatTable([FLEET_COLUMNS, ...cells]).split("\n");
  const out = [lines[0] ?? ""];
  rows.forEach((r, i) => {
    out.push(lines[i + 1] ?? "");
    if (r.reason) out.push(`  └ ${r.failure}: ${r.reason}`);
  });
  const up = rows.filter((r) => r.reachable).length;
  const healthy = rows.filter((r) => r.status?.health === "ok").length;
  out.push(`${rows.length} hosts: ${up} reachable, ${healthy} healthy`);
  return `${out.join("\n")}\n`;
}
