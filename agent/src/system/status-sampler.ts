import { readFile } from "node:fs/promises";
import { cpus, freemem, totalmem } from "node:os";
import type { InferenceStats } from "../inference/types.js";

/** One point of the dashboard's status charts. */
export interface StatusSample {
  /** ms since the epoch. */
  at: number;
  /** CPU busy share over the interval, 0–100 %. */
  cpuPercent: number;
  /** Memory in use (total − free), bytes. */
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  /** SoC / CPU temperature in °C, null where the machine has no thermal zone. */
  temperatureC: number | null;
  /** Generation speed of the last request, tokens/s. */
  tokensPerSecond: number;
  /** Chat requests finished during the interval. */
  requests: number;
}

/** Samples kept: one hour at SAMPLE_INTERVAL_MS. */
export const SAMPLE_INTERVAL_MS = 10_000;
export const HISTORY_SAMPLES = 360;

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.idle + c.times.user + c.times.nice + c.times.sys + c.times.irq;
  }
  return { idle, total };
}

/** Reads `/sys/class/thermal/thermal_zone0/temp` (millidegrees Celsius, kernel thermal sysfs ABI); null if absent. */
export async function readTemperatureC(
  file = "/sys/class/thermal/thermal_zone0/temp",
): Promise<number | null> {
  try {
    const milli = Number((await readFile(file, "utf8")).trim());
    return Number.isFinite(milli) ? Math.round(milli / 100) / 10 : null;
  } catch {
    return null;
  }
}

/**
 * Keeps the last hour of status samples (HISTORY_SAMPLES every SAMPLE_INTERVAL_MS) for the dashboard's
 * charts: CPU from os.cpus() time deltas, memory from os.totalmem/freemem, temperature from the thermal
 * zone, tokens/s and finished requests from the inference stats. start() samples on a timer (unref'd);
 * sample() takes one now (tests call it directly).
 */
export class StatusSampler {
  readonly #samples: StatusSample[] = [];
  #lastCpu = cpuTimes();
  #lastTokens = 0;
  #lastRequests = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stats: () => InferenceStats,
    /** Chat requests finished so far (a counter). */
    private readonly requestsDone: () => number = () => 0,
    private readonly temperature: () => Promise<number | null> = () => readTemperatureC(),
  ) {}

  /** Takes one sample and appends it (dropping the oldest beyond an hour). */
  async sample(): Promise<StatusSample> {
    const cpu = cpuTimes();
    const dTotal = cpu.total - this.#lastCpu.total;
    const dIdle = cpu.idle - this.#lastCpu.idle;
    this.#lastCpu = cpu;
    const stats = this.stats();
    const requests = this.requestsDone();
    const s: StatusSample = {
      at: Date.now(),
      cpuPercent: dTotal > 0 ? Math.round((1000 * (dTotal - dIdle)) / dTotal) / 10 : 0,
      memoryUsedBytes: totalmem() - freemem(),
      memoryTotalBytes: totalmem(),
      temperatureC: await this.temperature(),
      tokensPerSecond: stats.tokensGenerated !== this.#lastTokens ? stats.lastTokensPerSecond : 0,
      requests: Math.max(0, requests - this.#lastRequests),
    };
    this.#lastTokens = stats.tokensGenerated;
    this.#lastRequests = requests;
    this.#samples.push(s);
    if (this.#samples.length > HISTORY_SAMPLES)
      this.#samples.splice(0, this.#samples.length - HISTORY_SAMPLES);
    return s;
  }

  /** The kept samples, oldest first. */
  history(): StatusSample[] {
    return [...this.#samples];
  }

  /** Samples every SAMPLE_INTERVAL_MS until stop(). */
  start(): void {
    if (this.#timer) return;
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
