import { armCoreName, armImplementerName, isLittleCore } from "./arm-parts.js";
import { type CpuinfoProcessor, parseCpuinfo, parseCpuList } from "./cpuinfo.js";
import type { SysReader } from "./sys-reader.js";
import type { CpuCluster, CpuInfo } from "./types.js";

/** Everything CPU detection reads, as plain values, so tests can feed texts from other devices. */
export interface CpuInputs {
  /** /proc/cpuinfo text ("" when unreadable). */
  cpuinfo: string;
  /** Online logical CPU ids (/sys/devices/system/cpu/online); [] = take them from cpuinfo. */
  online: number[];
  /** Per logical CPU: cpufreq `cpuinfo_max_freq` in kHz, or null when cpufreq is absent (VMs, some boards). */
  maxFreqKHz: Record<number, number | null>;
  /** Per logical CPU: `topology/core_cpus_list` (or `thread_siblings_list`), the SMT siblings of its core. */
  coreSiblings: Record<number, string | null>;
  /** Intel hybrid (Alder Lake+): /sys/devices/cpu_core/cpus and /sys/devices/cpu_atom/cpus; null elsewhere. */
  hybrid: { core: number[]; atom: number[] } | null;
  /** Values from systeminformation's cpu(), used only where the kernel files say nothing. */
  fallback?: { vendor?: string; brand?: string; physicalCores?: number; maxMHz?: number | null };
}

/** CPUs whose max frequency is within this fraction of a cluster's fastest CPU stay in that cluster
 * (RK3588 bins its two A76 pairs at e.g. 2.40 and 2.35 GHz; LITTLE clusters run ≥ 25 % slower). */
const SAME_CLUSTER_FREQ_RATIO = 0.9;

/**
 * Builds the CpuInfo of a HardwareReport from kernel texts. Pure; never throws.
 * - physicalCores: distinct SMT-sibling sets (sysfs), else distinct (physical id, core id) pairs (x86 cpuinfo),
 *   else `fallback.physicalCores`, else one core per logical CPU.
 * - clusters, fastest first: Intel hybrid → "P-core"/"E-core" from cpu_core/cpu_atom; Arm → grouped by MIDR
 *   part (Cortex name), each split where max frequency drops below 90 % of the group's fastest;
 *   other CPUs with cpufreq → grouped by max frequency the same way; otherwise one cluster.
 * - performanceCores: physical cores of the first cluster; efficiencyCores: the rest.
 * - model: "model name" (x86), else the big cluster's core name (arm64 kernels print no model name;
 *   32-bit Arm prints a useless "ARMv7 Processor rev 3 (v7l)"), else `fallback.brand`, else "unknown CPU".
 * - flags: union of all processors' "flags"/"Features", lower-case, sorted. maxMHz: highest cpufreq max.
 */
export function buildCpuInfo(inputs: CpuInputs): CpuInfo {
  const { processors } = parseCpuinfo(inputs.cpuinfo);
  const byId = new Map(processors.map((p) => [p.id, p]));
  let ids = inputs.online.length > 0 ? inputs.online : processors.map((p) => p.id);
  if (ids.length === 0) ids = [0];

  const coreKey = coreKeyFunction(inputs, byId);
  const topologyKnown = ids.some((id) => coreKey(id) !== `cpu${id}`);
  const allCores = new Set(ids.map(coreKey));
  const physicalCores =
    !topologyKnown && inputs.fallback?.physicalCores ? inputs.fallback.physicalCores : allCores.size;

  const freqMHz = (id: number): number | null => {
    const khz = inputs.maxFreqKHz[id];
    return khz ? Math.round(khz / 1000) : null;
  };
  const clusters = buildClusters(ids, byId, inputs.hybrid, freqMHz);
  const fastest = clusters[0];
  const performanceCores =
    fastest && clusters.length > 1 ? new Set(fastest.cpuIds.map(coreKey)).size : physicalCores;

  const first = processors[0];
  const modelName = first?.modelName && !/^ARMv\d/i.test(first.modelName) ? first.modelName : undefined;
  const armName = processors.some((p) => p.part !== undefined) ? fastest?.name : undefined;
  const model = modelName ?? armName ?? inputs.fallback?.brand ?? "unknown CPU";
  if (clusters.length === 1 && clusters[0] && !armName && !inputs.hybrid) clusters[0].name = model;

  const freqs = ids.map(freqMHz).filter((f): f is number => f !== null);
  const info: CpuInfo = {
    model,
    physicalCores,
    logicalCores: ids.length,
    performanceCores,
    efficiencyCores: Math.max(0, physicalCores - performanceCores),
    clusters,
    flags: [...new Set(processors.flatMap((p) => p.flags))].sort(),
    maxMHz: freqs.length > 0 ? Math.max(...freqs) : (inputs.fallback?.maxMHz ?? null),
  };
  const vendor = vendorOf(first) ?? inputs.fallback?.vendor;
  if (vendor) info.vendor = vendor;
  return info;
}

/** Key identifying the physical core a logical CPU belongs to. */
function coreKeyFunction(inputs: CpuInputs, byId: Map<number, CpuinfoProcessor>): (id: number) => string {
  return (id) => {
    const siblings = parseCpuList(inputs.coreSiblings[id]);
    if (siblings.length > 0) return `s${siblings.join(",")}`;
    const p = byId.get(id);
    if (p?.physicalId !== undefined && p.coreId !== undefined) return `p${p.physicalId}c${p.coreId}`;
    return `cpu${id}`;
  };
}

function buildClusters(
  ids: number[],
  byId: Map<number, CpuinfoProcessor>,
  hybrid: CpuInputs["hybrid"],
  freqMHz: (id: number) => number | null,
): CpuCluster[] {
  const make = (name: string, cpuIds: number[]): CpuCluster => {
    const f = cpuIds.map(freqMHz).filter((x): x is number => x !== null);
    return { name, cpuIds, maxMHz: f.length > 0 ? Math.max(...f) : null };
  };
  const online = new Set(ids);
  if (hybrid && hybrid.core.length > 0 && hybrid.atom.length > 0) {
    return [
      make(
        "P-core",
        hybrid.core.filter((i) => online.has(i)),
      ),
      make(
        "E-core",
        hybrid.atom.filter((i) => online.has(i)),
      ),
    ].filter((c) => c.cpuIds.length > 0);
  }

  const groups = new Map<string, number[]>();
  const isArm = [...byId.values()].some((p) => p.part !== undefined);
  const isX86 = [...byId.values()].some((p) => p.vendorId !== undefined);
  for (const id of ids) {
    const p = byId.get(id);
    const name =
      isArm && p?.part !== undefined
        ? (armCoreName(p.implementer ?? 0, p.part) ?? `CPU part 0x${p.part.toString(16).padStart(3, "0")}`)
        : "CPU";
    groups.set(name, [...(groups.get(name) ?? []), id]);
  }
  const clusters: CpuCluster[] = [];
  for (const [name, members] of groups) {
    // x86 without hybrid sysfs is homogeneous: per-core turbo maxima differ only by "favoured core" bins.
    const parts = isX86 ? [members] : splitByFrequency(members, freqMHz);
    for (const part of parts) clusters.push(make(name, part));
  }
  return clusters.sort(
    (a, b) =>
      Number(isLittleCore(a.name)) - Number(isLittleCore(b.name)) ||
      (b.maxMHz ?? 0) - (a.maxMHz ?? 0) ||
      b.cpuIds.length - a.cpuIds.length ||
      (a.cpuIds[0] ?? 0) - (b.cpuIds[0] ?? 0),
  );
}

/** Splits CPUs into groups whose max frequency stays within SAME_CLUSTER_FREQ_RATIO of the group's top. */
function splitByFrequency(members: number[], freqMHz: (id: number) => number | null): number[][] {
  const sorted = [...members].sort((a, b) => (freqMHz(b) ?? 0) - (freqMHz(a) ?? 0) || a - b);
  const out: { top: number; ids: number[] }[] = [];
  for (const id of sorted) {
    const f = freqMHz(id) ?? 0;
    const last = out[out.length - 1];
    if (last && f >= last.top * SAME_CLUSTER_FREQ_RATIO) last.ids.push(id);
    else out.push({ top: f, ids: [id] });
  }
  return out.map((g) => g.ids.sort((a, b) => a - b));
}

function vendorOf(p: CpuinfoProcessor | undefined): string | undefined {
  if (!p) return undefined;
  if (p.vendorId === "GenuineIntel") return "Intel";
  if (p.vendorId === "AuthenticAMD") return "AMD";
  if (p.vendorId) return p.vendorId;
  if (p.implementer !== undefined) return armImplementerName(p.implementer) ?? undefined;
  return undefined;
}

/**
 * Reads CpuInputs from the kernel through `sys`: /proc/cpuinfo, /sys/devices/system/cpu/online,
 * per-CPU `cpufreq/cpuinfo_max_freq` and `topology/core_cpus_list` (older kernels: thread_siblings_list),
 * and the Intel hybrid PMU lists /sys/devices/cpu_core/cpus, /sys/devices/cpu_atom/cpus.
 * All reads run in parallel; missing files become null/[] (never throws).
 */
export async function readCpuInputs(sys: SysReader): Promise<Omit<CpuInputs, "fallback">> {
  const [cpuinfo, onlineText, coreCpus, atomCpus] = await Promise.all([
    sys.text("/proc/cpuinfo"),
    sys.line("/sys/devices/system/cpu/online"),
    sys.line("/sys/devices/cpu_core/cpus"),
    sys.line("/sys/devices/cpu_atom/cpus"),
  ]);
  let online = parseCpuList(onlineText);
  if (online.length === 0) online = parseCpuinfo(cpuinfo ?? "").processors.map((p) => p.id);
  const base = "/sys/devices/system/cpu";
  const perCpu = await Promise.all(
    online.map(async (id) => {
      const [freq, core, thread] = await Promise.all([
        sys.int(`${base}/cpu${id}/cpufreq/cpuinfo_max_freq`),
        sys.line(`${base}/cpu${id}/topology/core_cpus_list`),
        sys.line(`${base}/cpu${id}/topology/thread_siblings_list`),
      ]);
      return { id, freq, siblings: core ?? thread };
    }),
  );
  const hybrid = coreCpus && atomCpus ? { core: parseCpuList(coreCpus), atom: parseCpuList(atomCpus) } : null;
  return {
    cpuinfo: cpuinfo ?? "",
    online,
    maxFreqKHz: Object.fromEntries(perCpu.map((c) => [c.id, c.freq])),
    coreSiblings: Object.fromEntries(perCpu.map((c) => [c.id, c.siblings])),
    hybrid,
  };
}
