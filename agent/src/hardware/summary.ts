import type { DeviceProfile } from "./profile-types.js";
import { isUsableGpu } from "./profiles.js";
import type { GpuInfo, HardwareReport } from "./types.js";

/** CPU flags that matter to llama.cpp's CPU kernels, with the names people know them by. */
const INFERENCE_FLAGS: [flag: string, label: string][] = [
  ["avx", "AVX"],
  ["avx2", "AVX2"],
  ["fma", "FMA"],
  ["f16c", "F16C"],
  ["avx_vnni", "AVX-VNNI"],
  ["avx512f", "AVX-512"],
  ["avx512_vnni", "AVX-512 VNNI"],
  ["avx512_bf16", "AVX-512 BF16"],
  ["amx_tile", "AMX"],
  ["asimd", "NEON"],
  ["asimddp", "NEON dotprod"],
  ["asimdhp", "NEON FP16"],
  ["i8mm", "I8MM"],
  ["bf16", "BF16"],
  ["sve", "SVE"],
  ["sve2", "SVE2"],
];

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** The inference-relevant flags of a report, e.g. ["AVX2", "FMA", "F16C"] or ["NEON", "NEON dotprod"]. Pure. */
export function inferenceFlags(report: HardwareReport): string[] {
  const have = new Set(report.cpu.flags);
  return INFERENCE_FLAGS.filter(([flag]) => have.has(flag)).map(([, label]) => label);
}

/** One line describing a GPU: model, memory (VRAM in GiB or "shares RAM") and whether llama.cpp can use it. */
export function describeGpu(gpu: GpuInfo): string {
  const memory = gpu.unifiedMemory
    ? `shares RAM${gpu.vramBytes !== null ? ` (up to ${gib(gpu.vramBytes)})` : ""}`
    : gpu.vramBytes !== null
      ? `${gib(gpu.vramBytes)} VRAM`
      : "VRAM size unknown";
  const extra = [
    gpu.driverVersion ? `driver ${gpu.driverVersion}` : null,
    gpu.computeCapability ? `compute ${gpu.computeCapability}` : null,
  ].filter((x) => x !== null);
  const usable = isUsableGpu(gpu) ? "" : " — not used for inference";
  return `${gpu.model}: ${memory}${extra.length ? `, ${extra.join(", ")}` : ""}${usable}`;
}

/**
 * Human-readable summary of a HardwareReport for `clawbox detect`: board, CPU with clusters and core
 * counts, inference flags, memory in GiB, GPUs, free disk, OS, notes, and the matched profile with why
 * (or `profileProblem` when none matched). Pure; returns text ending in a newline.
 */
export function formatHardwareSummary(
  report: HardwareReport,
  match: { profile: DeviceProfile; why: string } | null,
  profileProblem?: string,
): string {
  const c = report.cpu;
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(10)}${value}`);
  const more = (value: string) => lines.push(`${"".padEnd(10)}${value}`);

  row("Board", report.board ?? "unknown");
  row(
    "CPU",
    `${c.model}${c.vendor ? ` (${c.vendor})` : ""}, ${report.arch}, ${c.physicalCores} cores / ${c.logicalCores} threads` +
      (c.maxMHz ? `, up to ${c.maxMHz} MHz` : ""),
  );
  if (c.clusters && c.clusters.length > 1) {
    more(
      `clusters: ${c.clusters.map((k) => `${k.cpuIds.length}× ${k.name}${k.maxMHz ? ` @ ${k.maxMHz} MHz` : ""}`).join(" + ")}`,
    );
  }
  more(
    `performance cores: ${c.performanceCores ?? c.physicalCores}, efficiency cores: ${c.efficiencyCores ?? 0}`,
  );
  const flags = inferenceFlags(report);
  more(`inference flags: ${flags.length > 0 ? flags.join(", ") : "none of AVX2/AVX-512/NEON"}`);
  const m = report.memory;
  row("Memory", `${gib(m.totalBytes)} total, ${gib(m.availableBytes)} available, swap ${gib(m.swapBytes)}`);
  if (report.gpus.length === 0) row("GPUs", "none");
  report.gpus.forEach((g, i) => {
    (i === 0 ? (v: string) => row("GPUs", v) : more)(describeGpu(g));
  });
  row("Disk", `${gib(report.diskFreeBytes)} free${report.diskPath ? ` at ${report.diskPath}` : ""}`);
  if (report.os) row("OS", `${report.os.distro} ${report.os.release}, kernel ${report.os.kernel}`.trim());
  for (const [i, note] of (report.notes ?? []).entries())
    (i === 0 ? (v: string) => row("Note", v) : more)(note);
  if (match) {
    row("Profile", `${match.profile.id} (${match.profile.name})`);
    more(`why: ${match.why}`);
  } else {
    row("Profile", `none — ${profileProblem ?? "no profile matched"}`);
  }
  return `${lines.join("\n")}\n`;
}
