import {
  type DrmCard,
  gpuFromDrmCard,
  PCI_VENDOR_NVIDIA,
  pciDeviceName,
  readDrmCards,
  readPciIds,
} from "./drm.js";
import type { NvidiaSmiResult } from "./nvidia-smi.js";
import type { SysReader } from "./sys-reader.js";
import type { GpuInfo } from "./types.js";

/** Inputs of GPU detection, as plain values. */
export interface GpuInputs {
  /** Board name of the report (device tree / DMI). */
  board: string | null;
  /** /etc/nv_tegra_release text (present on every Jetson with L4T), or null. */
  tegraRelease: string | null;
  /** What nvidia-smi answered. */
  nvidiaSmi: NvidiaSmiResult;
  /** The /sys/class/drm cards. */
  drmCards: DrmCard[];
  /** pci.ids text for GPU names, or null. */
  pciIds: string | null;
}

/** Jetson boards: device-tree model names NVIDIA uses ("NVIDIA Jetson Orin Nano Developer Kit", "… AGX Xavier …"). */
const JETSON_BOARD = /jetson|orin|xavier/i;

/** True on an NVIDIA Jetson (Tegra SoC): the board name says so or L4T's /etc/nv_tegra_release exists. */
export function isJetson(board: string | null, tegraRelease: string | null): boolean {
  return (board !== null && JETSON_BOARD.test(board)) || tegraRelease !== null;
}

/**
 * The integrated GPU of a Jetson. It shares the SoC's LPDDR with the CPU, so `unifiedMemory: true` and
 * `vramBytes: null` (the pool is `memory`; never counted twice). Compute capability by SoC from NVIDIA's
 * CUDA GPUs table: Orin (Ampere) 8.7, Xavier (Volta) 7.2, TX2 (Pascal) 6.2, Nano/TX1 (Maxwell) 5.3.
 * nvidia-smi (JetPack 6 ships one that prints "Orin (nvgpu)") is preferred for name, driver and compute
 * capability; otherwise the driver version is the L4T release ("# R36 (release), REVISION: 4.0" → "L4T R36.4.0").
 */
export function jetsonGpu(board: string | null, tegraRelease: string | null, smi: GpuInfo[]): GpuInfo {
  const b = board ?? "";
  const [soc, arch, cc] = /orin/i.test(b)
    ? ["Orin", "Ampere", "8.7"]
    : /xavier/i.test(b)
      ? ["Xavier", "Volta", "7.2"]
      : /tx2/i.test(b)
        ? ["TX2", "Pascal", "6.2"]
        : /nano|tx1/i.test(b)
          ? ["Tegra X1", "Maxwell", "5.3"]
          : ["Tegra", null, null];
  const l4t = /R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)/.exec(tegraRelease ?? "");
  const first = smi[0];
  return {
    vendor: "nvidia",
    model: first?.model ?? `NVIDIA ${soc} integrated GPU${arch ? ` (${arch})` : ""}`,
    vramBytes: null,
    unifiedMemory: true,
    driverVersion: first?.driverVersion ?? (l4t ? `L4T R${l4t[1]}.${l4t[2]}` : null),
    computeCapability: first?.computeCapability ?? cc,
  };
}

/**
 * Builds the GPU list and notes of a HardwareReport. Pure.
 * - Jetson: exactly one unified-memory NVIDIA GPU (jetsonGpu); DRM cards are ignored.
 * - Elsewhere: nvidia-smi's GPUs (dedicated VRAM), then Intel/AMD/Broadcom/Mali cards from DRM (gpuFromDrmCard).
 *   An NVIDIA DRM card without an nvidia-smi answer is left out (no driver → not usable by CUDA) and explained
 *   in a note, as is an nvidia-smi failure.
 */
export function buildGpus(inputs: GpuInputs): { gpus: GpuInfo[]; notes: string[] } {
  const notes: string[] = [];
  if (inputs.nvidiaSmi.problem) notes.push(inputs.nvidiaSmi.problem);
  if (isJetson(inputs.board, inputs.tegraRelease)) {
    return { gpus: [jetsonGpu(inputs.board, inputs.tegraRelease, inputs.nvidiaSmi.gpus)], notes };
  }
  const gpus: GpuInfo[] = [...inputs.nvidiaSmi.gpus];
  for (const card of inputs.drmCards) {
    if (card.vendor === PCI_VENDOR_NVIDIA) {
      if (inputs.nvidiaSmi.gpus.length === 0) {
        notes.push(
          `NVIDIA GPU [10de:${card.device?.toString(16).padStart(4, "0") ?? "????"}] (${card.name}, driver ` +
            `${card.driver ?? "none"}) is not usable: nvidia-smi did not report it; install the NVIDIA driver`,
        );
      }
      continue;
    }
    const name =
      inputs.pciIds && card.vendor !== null && card.device !== null
        ? pciDeviceName(inputs.pciIds, card.vendor, card.device)
        : null;
    const gpu = gpuFromDrmCard(card, name);
    if (gpu) gpus.push(gpu);
  }
  return { gpus, notes };
}

/**
 * Reads the GPU inputs through `sys` and nvidia-smi (passed in as `nvidiaSmi`, already running in parallel
 * with the other reads) and builds the list. pci.ids is read only when a PCI GPU needs a name.
 */
export async function detectGpus(
  sys: SysReader,
  board: string | null,
  nvidiaSmi: Promise<NvidiaSmiResult>,
): Promise<{ gpus: GpuInfo[]; notes: string[] }> {
  const [tegraRelease, drmCards, smi] = await Promise.all([
    sys.text("/etc/nv_tegra_release"),
    readDrmCards(sys),
    nvidiaSmi,
  ]);
  const needsNames = drmCards.some((c) => c.vendor !== null && c.vendor !== PCI_VENDOR_NVIDIA);
  const pciIds = needsNames ? await readPciIds(sys) : null;
  return buildGpus({ board, tegraRelease, nvidiaSmi: smi, drmCards, pciIds });
}
