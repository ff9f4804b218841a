import { existsSync, readdirSync, readFileSync, statfsSync } from "node:fs";
import { uptime } from "node:os";
import { dirname, join } from "node:path";
import { readApiToken } from "../server/api-token.js";
import { VERSION } from "../version.js";

/**
 * What `clawbox status --json` prints on a device and `clawbox fleet status` collects. Stable JSON: fields
 * are only ever added.
 */
export interface DeviceStatus {
  /** Agent version: the running agent's when it answers, else this installed CLI's. */
  version: string;
  /** "ok" = model loaded and serving; "no-model" = agent up without a model; "down" = no agent answers. */
  health: "ok" | "no-model" | "down";
  /** Id of the loaded model, or null. */
  model: string | null;
  /** Agent process uptime, s (from /admin/status); null when down. */
  uptimeSeconds: number | null;
  /** Operating system uptime, s (os.uptime()). */
  systemUptimeSeconds: number;
  /** Hottest thermal zone, °C (/sys/class/thermal/thermal_zone*\/temp is in millidegrees); null if none. */
  temperatureC: number | null;
  /** Generation speed of the agent's last completed request, tokens/s (measured by the agent); null if unknown. */
  tokensPerSecond: number | null;
  /** Free and total bytes of the filesystem holding the data dir (statfs: bavail × bsize, blocks × bsize). */
  disk: { path: string; freeBytes: number; totalBytes: number };
  /** Base URL the agent recorded in `<dataDir>/agent-url`, or null. */
  agentUrl: string | null;
  /** Why health is "down" (connection refused, HTTP status, …), when it is. */
  reason?: string;
  /** The agent's scheduled jobs with next and last run (from /admin/status); absent when down. */
  jobs?: DeviceJobStatus[];
}

/** One scheduled job as `clawbox status` shows it (agent/src/jobs/scheduler.ts JobStatus, trimmed). */
export interface DeviceJobStatus {
  name: string;
  schedule: string;
  timezone: string;
  nextRun: string | null;
  lastRun: { finishedAt: string; ok: boolean; result: string } | null;
}

export interface DeviceStatusOptions {
  /** The agent's data dir (agent-url and api-token live there). */
  dataDir: string;
  /** Thermal zones folder (default /sys/class/thermal; tests pass a fake tree). */
  thermalDir?: string;
  /** Per-request limit for the agent's HTTP API, ms (default 2,000). */
  timeoutMs?: number;
}

/**
 * Collects the device status. When `<dataDir>/agent-url` names an agent that answers, its `/healthz` and
 * `/admin/status` (bearer token from `<dataDir>/api-token`, opened with the device key) give version, model, uptime and tokens/s;
 * otherwise health is "down" with the reason, and the rest is what can be read locally. Never throws for
 * a missing agent, token or sensor.
 */
export async function collectDeviceStatus(opts: DeviceStatusOptions): Promise<DeviceStatus> {
  const url = readTrimmed(join(opts.dataDir, "agent-url"));
  let token: string | null = null;
  try {
    token = readApiToken(opts.dataDir); // sealed with the device key: opened, never read raw
  } catch {
    // unreadable or sealed with another key: status without the agent's own figures
  }
  const status: DeviceStatus = {
    version: VERSION,
    health: "down",
    model: null,
    uptimeSeconds: null,
    systemUptimeSeconds: Math.round(uptime()),
    temperatureC: readTemperatureC(opts.thermalDir ?? "/sys/class/thermal"),
    tokensPerSecond: null,
    disk: diskUsage(opts.dataDir),
    agentUrl: url,
  };
  if (!url) return { ...status, reason: `no agent-url in ${opts.dataDir} (agent not started)` };
  const timeout = opts.timeoutMs ?? 2_000;
  let health: Response;
  try {
    health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeout) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    return { ...status, reason: `no answer from ${url} (${cause})` };
  }
  const body = (await health.json().catch(() => ({}))) as { status?: string; model?: string };
  status.health = health.status === 200 ? "ok" : body.status === "no-model" ? "no-model" : "down";
  if (status.health === "down") status.reason = `/healthz answered HTTP ${health.status}`;
  status.model = body.model ?? null;
  if (!token) return status;
  try {
    const res = await fetch(`${url}/admin/status`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(timeout),
    });
    if (res.ok) {
      const admin = (await res.json()) as {
        version?: string;
        model?: { id?: string } | null;
        uptimeSeconds?: number;
        stats?: { lastTokensPerSecond?: number };
        jobs?: DeviceJobStatus[];
      };
      if (admin.version) status.version = admin.version;
      if (admin.model?.id) status.model = admin.model.id;
      if (typeof admin.uptimeSeconds === "number") status.uptimeSeconds = admin.uptimeSeconds;
      const tps = admin.stats?.lastTokensPerSecond;
      if (typeof tps === "number" && tps > 0) status.tokensPerSecond = Math.round(tps * 10) / 10;
      if (Array.isArray(admin.jobs)) {
        status.jobs = admin.jobs.map((j) => ({
          name: j.name,
          schedule: j.schedule,
          timezone: j.timezone,
          nextRun: j.nextRun,
          lastRun: j.lastRun
            ? { finishedAt: j.lastRun.finishedAt, ok: j.lastRun.ok, result: j.lastRun.result }
            : null,
        }));
      }
    }
  } catch {
    // /healthz answered; a slow admin endpoint only leaves the details empty
  }
  return status;
}

/**
 * Hottest thermal zone in °C, one decimal: the maximum of `<dir>/thermal_zone*\/temp` (Linux reports
 * millidegrees Celsius). Null when there is no readable zone (VMs, containers).
 */
export function readTemperatureC(dir: string): number | null {
  let zones: string[];
  try {
    zones = readdirSync(dir).filter((z) => z.startsWith("thermal_zone"));
  } catch {
    return null;
  }
  let max: number | null = null;
  for (const z of zones) {
    const milli = Number(readTrimmed(join(dir, z, "temp")));
    if (readTrimmed(join(dir, z, "temp")) === null || !Number.isFinite(milli)) continue;
    const c = Math.round(milli / 100) / 10;
    if (max === null || c > max) max = c;
  }
  return max;
}

/** Free/total bytes of the filesystem holding `path` (its nearest existing ancestor when it does not exist). */
export function diskUsage(path: string): DeviceStatus["disk"] {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  const s = statfsSync(p);
  return { path, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

function readTrimmed(file: string): string | null {
  try {
    return readFileSync(file, "utf8").trim() || null;
  } catch {
    return null;
  }
}
