import { type ExecFileException, execFile } from "node:child_process";
import type { GpuInfo } from "./types.js";

/** Fields asked from nvidia-smi, in this order. `compute_cap` needs driver ≥ 510; older drivers reject it. */
const FIELDS = ["name", "memory.total", "driver_version", "compute_cap"];

/** Result of asking nvidia-smi: the GPUs it listed and, when it could not answer, why (one line). */
export interface NvidiaSmiResult {
  gpus: GpuInfo[];
  /** Set when the binary exists but failed (driver not loaded, timeout); absent binary → no note. */
  problem?: string;
}

/**
 * Parses `nvidia-smi --query-gpu=name,memory.total,driver_version[,compute_cap] --format=csv,noheader,nounits`
 * output: one GPU per line, memory.total in MiB (→ bytes). "[N/A]" / "N/A" (Jetson's nvgpu reports no
 * dedicated memory) become null. Pure; lines that do not have at least name and memory are skipped.
 */
export function parseNvidiaSmi(csv: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of csv.split("\n")) {
    if (!line.trim()) continue;
    const [name, mem, driver, cc] = line.split(",").map((s) => s.trim());
    if (!name || mem === undefined) continue;
    const na = (v: string | undefined) =>
      v === undefined || v === "" || /N\/A|not supported/i.test(v) ? null : v;
    const mib = na(mem) === null ? null : Number(mem);
    gpus.push({
      vendor: "nvidia",
      model: name,
      vramBytes: mib !== null && Number.isFinite(mib) ? mib * 1024 * 1024 : null,
      unifiedMemory: false,
      driverVersion: na(driver),
      computeCapability: na(cc),
    });
  }
  return gpus;
}

/**
 * Runs nvidia-smi (`binary`, a name on PATH or a path) with an argument array — never a shell — and a
 * timeout in ms, and parses its answer. A missing binary means "no NVIDIA driver": `{ gpus: [] }` without a
 * problem. If the driver rejects the `compute_cap` field (drivers older than 510), asks again without it.
 * Never throws. Timeout default 4000 ms: without the persistence daemon a cold nvidia-smi initialises every
 * GPU first, which can take a second or more; the timeout only bounds a hung driver.
 */
export async function queryNvidiaSmi(binary = "nvidia-smi", timeoutMs = 4000): Promise<NvidiaSmiResult> {
  const run = (fields: string[]) =>
    new Promise<{ out: string; err: ExecFileException | null; stderr: string }>((resolve) => {
      execFile(
        binary,
        [`--query-gpu=${fields.join(",")}`, "--format=csv,noheader,nounits"],
        { timeout: timeoutMs, encoding: "utf8", windowsHide: true },
        (err, stdout, stderr) => resolve({ out: stdout, err, stderr }),
      );
    });
  let r = await run(FIELDS);
  if (r.err?.code === "ENOENT" || r.err?.code === "EACCES") return { gpus: [] };
  if (r.err && /compute_cap|not a valid field/i.test(`${r.out}${r.stderr}`))
    r = await run(FIELDS.slice(0, 3));
  if (r.err) {
    const why = r.err.killed
      ? `timed out after ${timeoutMs} ms`
      : (`${r.out}\n${r.stderr}`.split("\n").find((l) => l.trim()) ?? r.err.message).trim();
    return { gpus: [], problem: `nvidia-smi failed: ${why}` };
  }
  return { gpus: parseNvidiaSmi(r.out) };
}
