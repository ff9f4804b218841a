import { cpus, freemem, release, totalmem } from "node:os";
import { modelsDir as modelsDirOf, resolveDataDir } from "../paths.js";
import { boardName, readBoardInputs } from "./board.js";
import { buildCpuInfo, type CpuInputs, readCpuInputs } from "./cpu.js";
import { diskFree } from "./disk.js";
import { detectGpus } from "./gpu.js";
import { parseMeminfo } from "./memory.js";
import { queryNvidiaSmi } from "./nvidia-smi.js";
import { parseOsRelease } from "./os-release.js";
import { SysReader } from "./sys-reader.js";
import type { HardwareReport } from "./types.js";

/** CPU facts from systeminformation, used only where /proc and /sys say nothing (non-Linux dev machines). */
export type CpuFallback = NonNullable<CpuInputs["fallback"]>;

export interface DetectOptions {
  /** Folder whose filesystem `diskFreeBytes` measures; default `modelsDir(resolveDataDir())`. */
  modelsDir?: string;
  /** Root under which /proc, /sys and /etc are read; default "/". Tests point it at a fake device tree. */
  root?: string;
  /** Overrides `process.arch` / `process.platform` (for a fake root of another device). */
  arch?: string;
  platform?: string;
  /** nvidia-smi binary (name on PATH or path); default "nvidia-smi". */
  nvidiaSmi?: string;
  /** nvidia-smi timeout in ms; default 4000. */
  nvidiaSmiTimeoutMs?: number;
  /**
   * Source of CPU facts when the kernel files lack them (no /proc/cpuinfo model or topology); default:
   * systeminformation's cpu() when root is "/", none otherwise. Returning null means "no fallback".
   */
  cpuFallback?: () => Promise<CpuFallback | null>;
  /** Clock for `detectedAt`; default `new Date()`. */
  now?: () => Date;
}

/**
 * Measures this machine and returns its HardwareReport (`source: "detected"`). All reads run in parallel;
 * nothing here needs root. Throws only when the disk cannot be measured at all.
 *
 * What comes from where, and why not systeminformation for everything (measured on the 2-core CI VM:
 * si.cpu 35 ms, si.osInfo 48 ms, si.graphics 25 ms without any GPU, si.fsSize 9 ms, si.mem 2 ms):
 * - CPU: /proc/cpuinfo + /sys/devices/system/cpu (buildCpuInfo); si.cpu() only as fallback, since it spawns
 *   lscpu and dmidecode and still knows nothing of big.LITTLE clusters.
 * - memory: /proc/meminfo (os.totalmem/freemem elsewhere).
 * - GPUs: nvidia-smi (execFile, timeout) + /sys/class/drm; si.graphics() runs lspci -vvv and nvidia-smi
 *   sequentially and cannot tell a Jetson's unified memory from VRAM.
 * - OS: /etc/os-release + /proc/sys/kernel/osrelease; si.osInfo() runs `hostname -f`, which can block on DNS
 *   on a device that has no network yet (first boot).
 * - disk: statfs of the models folder (or its nearest existing parent); si.fsSize() lists every mount via df.
 * - board: /proc/device-tree/model, else DMI (boardName).
 */
export async function detectHardware(opts: DetectOptions = {}): Promise<HardwareReport> {
  const sys = new SysReader(opts.root ?? "/");
  const cpuFallback = opts.cpuFallback ?? (sys.root === "/" ? systeminformationCpu : async () => null);
  const nvidiaSmi = queryNvidiaSmi(opts.nvidiaSmi, opts.nvidiaSmiTimeoutMs);
  const boardP = readBoardInputs(sys).then(boardName);
  const [cpuInputs, meminfo, board, gpuResult, osRelease, kernel, disk] = await Promise.all([
    readCpuInputs(sys),
    sys.text("/proc/meminfo"),
    boardP,
    boardP.then((b) => detectGpus(sys, b, nvidiaSmi)),
    sys.text("/etc/os-release"),
    sys.line("/proc/sys/kernel/osrelease"),
    diskFree(opts.modelsDir ?? modelsDirOf(resolveDataDir())),
  ]);

  let cpu = buildCpuInfo(cpuInputs);
  const topologyMissing = Object.values(cpuInputs.coreSiblings).every((s) => s === null);
  if (cpu.model === "unknown CPU" || (topologyMissing && !/physical id/.test(cpuInputs.cpuinfo))) {
    const fallback = await cpuFallback().catch(() => null);
    if (fallback) cpu = buildCpuInfo({ ...cpuInputs, fallback });
  }
  if (cpuInputs.cpuinfo === "" && sys.root === "/")
    cpu.logicalCores = Math.max(cpu.logicalCores, cpus().length);

  const memory =
    parseMeminfo(meminfo ?? "") ??
    (sys.root === "/"
      ? { totalBytes: totalmem(), availableBytes: freemem(), swapBytes: 0 }
      : { totalBytes: 0, availableBytes: 0, swapBytes: 0 });
  const osr = parseOsRelease(osRelease ?? "");

  const report: HardwareReport = {
    schemaVersion: 1,
    arch: opts.arch ?? process.arch,
    platform: opts.platform ?? process.platform,
    board,
    cpu,
    memory,
    gpus: gpuResult.gpus,
    diskFreeBytes: disk.freeBytes,
    diskPath: disk.path,
    os: {
      distro: osr?.distro ?? opts.platform ?? process.platform,
      release: osr?.release ?? "",
      kernel: kernel ?? (sys.root === "/" ? release() : ""),
    },
    detectedAt: (opts.now ?? (() => new Date()))().toISOString(),
    source: "detected",
  };
  if (gpuResult.notes.length > 0) report.notes = gpuResult.notes;
  return report;
}

/** systeminformation's cpu(), reduced to CpuFallback (brand, vendor, physical cores, max MHz). */
async function systeminformationCpu(): Promise<CpuFallback | null> {
  const si = await import("systeminformation");
  const c = await si.cpu();
  const fallback: CpuFallback = {};
  const brand = [c.manufacturer, c.brand].filter((s) => s && s.trim() !== "").join(" ");
  if (brand) fallback.brand = brand;
  if (c.manufacturer) fallback.vendor = c.manufacturer;
  if (c.physicalCores > 0) fallback.physicalCores = c.physicalCores;
  fallback.maxMHz = c.speedMax > 0 ? Math.round(c.speedMax * 1000) : null;
  return fallback;
}
