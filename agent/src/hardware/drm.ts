import type { SysReader } from "./sys-reader.js";
import type { GpuInfo } from "./types.js";

/** What /sys/class/drm/cardN/device says about one GPU. */
export interface DrmCard {
  /** "card0", "card1", … */
  name: string;
  /** PCI vendor id (0x8086 Intel, 0x1002 AMD, 0x10de NVIDIA); null for platform (SoC) GPUs. */
  vendor: number | null;
  /** PCI device id; null for platform GPUs. */
  device: number | null;
  /** Kernel driver name: "i915", "xe", "amdgpu", "nouveau", "nvidia", "v3d", "vc4", "panthor", … */
  driver: string | null;
  /** amdgpu `mem_info_vram_total` (bytes): dedicated VRAM, or the BIOS carve-out on an APU. */
  vramTotalBytes: number | null;
  /** amdgpu `mem_info_gtt_total` (bytes): system RAM the GPU may map. */
  gttTotalBytes: number | null;
  /** First device-tree "compatible" string of a platform GPU, e.g. "brcm,2712-v3d", "rockchip,rk3588-mali". */
  compatible: string | null;
}

export const PCI_VENDOR_INTEL = 0x8086;
export const PCI_VENDOR_AMD = 0x1002;
export const PCI_VENDOR_NVIDIA = 0x10de;

/**
 * Intel discrete GPUs by PCI device id (everything else from Intel is integrated, including Meteor/Lunar Lake
 * "Arc" iGPUs 0x7dxx/0x64xx). Ranges from Linux `include/drm/intel/pciids.h`: DG1 0x4905–0x4909,
 * DG2 "Alchemist" Arc A-series 0x5690–0x56ff, BMG "Battlemage" Arc B-series 0xe202–0xe2ff.
 */
function isIntelDiscrete(device: number): boolean {
  return (
    (device >= 0x4905 && device <= 0x4909) ||
    (device >= 0x5690 && device <= 0x56ff) ||
    (device >= 0xe202 && device <= 0xe2ff)
  );
}

/**
 * AMD APU graphics (integrated) by PCI device id, as named in pci.ids (e.g. 15bf "Phoenix1" = 780M,
 * 1681 "Rembrandt [Radeon 680M]", 1586 "Strix Halo"): Raven/Picasso, Renoir/Cezanne/Lucienne, Barcelo,
 * Van Gogh, Rembrandt, Raphael/Granite Ridge, Mendocino, Phoenix, Hawk Point, Strix Point, Krackan, Strix Halo.
 * APUs missing here are still caught by the carve-out size rule below.
 */
const AMD_APU_DEVICES = new Set([
  0x15d8, 0x15dd, 0x1636, 0x1638, 0x164c, 0x15e7, 0x163f, 0x1681, 0x164e, 0x13c0, 0x1506, 0x15bf, 0x15c8,
  0x1900, 0x1901, 0x150e, 0x1114, 0x1586,
]);

/** An AMD GPU whose "VRAM" is at most this is a BIOS carve-out of an APU (no dGPU this small runs LLMs). */
const APU_CARVE_OUT_MAX_BYTES = 1024 ** 3;

/**
 * Turns one DRM card into a GpuInfo, or null when it is not a GPU the report lists:
 * - Intel (0x8086): integrated (unifiedMemory, vramBytes null: it uses system RAM, no fixed cap) unless its
 *   device id is an Arc/DG discrete GPU (vramBytes null: i915/xe expose no VRAM size in sysfs).
 * - AMD (0x1002): an APU (known device id, or carve-out ≤ 1 GiB) is unified with vramBytes = carve-out + GTT
 *   (what the driver lets it map); otherwise a discrete GPU with vramBytes = mem_info_vram_total.
 * - NVIDIA (0x10de): null — NVIDIA GPUs come from nvidia-smi (with the driver's VRAM and compute capability).
 * - Platform GPUs: Raspberry Pi V3D → vendor "broadcom" (listed for information; llama.cpp cannot compute on
 *   it, so profiles treat it as no GPU); Mali via panfrost/panthor/mali → vendor "arm" (same). Display-only
 *   drivers (vc4, rockchip-drm) and Tegra (handled by the Jetson path) → null.
 * `pciName` is the pci.ids device name when known. Pure.
 */
export function gpuFromDrmCard(card: DrmCard, pciName: string | null): GpuInfo | null {
  const id = `[${hex(card.vendor)}:${hex(card.device)}]`;
  if (card.vendor === PCI_VENDOR_INTEL && card.device !== null) {
    const discrete = isIntelDiscrete(card.device);
    return {
      vendor: "intel",
      model: `Intel ${pciName ?? (discrete ? "Arc discrete GPU" : "integrated GPU")} ${id}`,
      vramBytes: null,
      unifiedMemory: !discrete,
    };
  }
  if (card.vendor === PCI_VENDOR_AMD && card.device !== null) {
    const apu =
      AMD_APU_DEVICES.has(card.device) ||
      (card.vramTotalBytes !== null && card.vramTotalBytes <= APU_CARVE_OUT_MAX_BYTES);
    const model = `AMD ${pciName ?? (apu ? "Radeon integrated GPU" : "Radeon GPU")} ${id}`;
    if (apu) {
      const share =
        card.vramTotalBytes !== null && card.gttTotalBytes !== null
          ? card.vramTotalBytes + card.gttTotalBytes
          : null;
      return { vendor: "amd", model, vramBytes: share, unifiedMemory: true };
    }
    return { vendor: "amd", model, vramBytes: card.vramTotalBytes, unifiedMemory: false };
  }
  if (card.vendor !== null) return null;
  if (card.driver === "v3d") {
    const gen = card.compatible?.includes("2712") ? " VII" : card.compatible?.includes("2711") ? " VI" : "";
    return {
      vendor: "broadcom",
      model: `Broadcom VideoCore${gen} (v3d)`,
      vramBytes: null,
      unifiedMemory: true,
    };
  }
  if (card.driver && /^(panfrost|panthor|mali|mali_kbase)$/.test(card.driver)) {
    const soc = card.compatible ? `, ${card.compatible}` : "";
    return { vendor: "arm", model: `Arm Mali (${card.driver}${soc})`, vramBytes: null, unifiedMemory: true };
  }
  return null;
}

/**
 * Device name for a PCI vendor/device pair from pci.ids text (/usr/share/misc/pci.ids), e.g.
 * (0x1002, 0x15bf) → "Phoenix1"; null when absent. Pure.
 */
export function pciDeviceName(pciIds: string, vendor: number, device: number): string | null {
  const text = `\n${pciIds}`;
  const v = text.indexOf(`\n${hex(vendor)}  `);
  if (v < 0) return null;
  const rest = text.slice(v + 1);
  const next = rest.search(/\n[0-9a-f]{4} {2}/);
  const section = next < 0 ? rest : rest.slice(0, next);
  const m = new RegExp(`\\n\\t${hex(device)} {2}([^\\n]+)`).exec(section);
  return m?.[1]?.trim() ?? null;
}

/** Reads every /sys/class/drm/cardN (not connectors like card0-HDMI-A-1) in parallel; never throws. */
export async function readDrmCards(sys: SysReader): Promise<DrmCard[]> {
  const names = (await sys.list("/sys/class/drm")).filter((n) => /^card\d+$/.test(n));
  return Promise.all(
    names.map(async (name) => {
      const d = `/sys/class/drm/${name}/device`;
      const [vendor, device, driver, vram, gtt, compatible] = await Promise.all([
        sys.int(`${d}/vendor`),
        sys.int(`${d}/device`),
        sys.linkName(`${d}/driver`),
        sys.int(`${d}/mem_info_vram_total`),
        sys.int(`${d}/mem_info_gtt_total`),
        sys.text(`${d}/of_node/compatible`),
      ]);
      return {
        name,
        vendor,
        device,
        driver,
        vramTotalBytes: vram,
        gttTotalBytes: gtt,
        compatible: compatible?.split("\0")[0]?.trim() || null,
      };
    }),
  );
}

/** Reads pci.ids from the usual places (hwdata / pciutils); null when none is installed. */
export async function readPciIds(sys: SysReader): Promise<string | null> {
  for (const p of ["/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids", "/usr/share/pci.ids"]) {
    const t = await sys.text(p);
    if (t) return t;
  }
  return null;
}

function hex(n: number | null): string {
  return n === null ? "????" : n.toString(16).padStart(4, "0");
}
