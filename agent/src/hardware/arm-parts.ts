/**
 * Names of Arm CPU cores from the MIDR fields that /proc/cpuinfo shows as "CPU implementer" and "CPU part".
 * Sources: util-linux `sys-utils/lscpu-arm.c` (what `lscpu` prints, up to 0xd4f), Linux
 * `arch/arm64/include/asm/cputype.h` (ARM_CPU_PART_CORTEX_A520 = 0xD80) and MediaTek's kernel `cputype.h`
 * (MIDR_CORTEX_A720 0x410FD810, X4 0x410FD821, and code names Blackhawk = X925 0xD85, Chaberton = A725 0xD87).
 */
const IMPLEMENTERS = new Map<number, string>([
  [0x41, "ARM"],
  [0x42, "Broadcom"],
  [0x43, "Cavium"],
  [0x46, "Fujitsu"],
  [0x48, "HiSilicon"],
  [0x4e, "NVIDIA"],
  [0x50, "APM"],
  [0x51, "Qualcomm"],
  [0x53, "Samsung"],
  [0x61, "Apple"],
  [0x70, "Phytium"],
  [0xc0, "Ampere"],
]);

/** Parts designed by Arm (implementer 0x41). */
const ARM_PARTS = new Map<number, string>([
  [0xc07, "Cortex-A7"],
  [0xc08, "Cortex-A8"],
  [0xc09, "Cortex-A9"],
  [0xc0f, "Cortex-A15"],
  [0xd01, "Cortex-A32"],
  [0xd02, "Cortex-A34"],
  [0xd03, "Cortex-A53"],
  [0xd04, "Cortex-A35"],
  [0xd05, "Cortex-A55"],
  [0xd06, "Cortex-A65"],
  [0xd07, "Cortex-A57"],
  [0xd08, "Cortex-A72"],
  [0xd09, "Cortex-A73"],
  [0xd0a, "Cortex-A75"],
  [0xd0b, "Cortex-A76"],
  [0xd0c, "Neoverse-N1"],
  [0xd0d, "Cortex-A77"],
  [0xd0e, "Cortex-A76AE"],
  [0xd40, "Neoverse-V1"],
  [0xd41, "Cortex-A78"],
  [0xd42, "Cortex-A78AE"],
  [0xd43, "Cortex-A65AE"],
  [0xd44, "Cortex-X1"],
  [0xd46, "Cortex-A510"],
  [0xd47, "Cortex-A710"],
  [0xd48, "Cortex-X2"],
  [0xd49, "Neoverse-N2"],
  [0xd4a, "Neoverse-E1"],
  [0xd4b, "Cortex-A78C"],
  [0xd4c, "Cortex-X1C"],
  [0xd4d, "Cortex-A715"],
  [0xd4e, "Cortex-X3"],
  [0xd4f, "Neoverse-V2"],
  [0xd80, "Cortex-A520"],
  [0xd81, "Cortex-A720"],
  [0xd82, "Cortex-X4"],
  [0xd85, "Cortex-X925"],
  [0xd87, "Cortex-A725"],
]);

/** Parts of other implementers, keyed by implementer then part. */
const OTHER_PARTS = new Map<number, Map<number, string>>([
  [
    0x4e,
    new Map([
      [0x000, "Denver"],
      [0x003, "Denver 2"],
      [0x004, "Carmel"],
    ]),
  ],
  [0x48, new Map([[0xd01, "Kunpeng-920"]])],
  [
    0xc0,
    new Map([
      [0xac3, "Ampere-1"],
      [0xac4, "Ampere-1a"],
    ]),
  ],
  [
    0x61,
    new Map([
      [0x022, "Icestorm-M1"],
      [0x023, "Firestorm-M1"],
      [0x032, "Blizzard-M2"],
      [0x033, "Avalanche-M2"],
    ]),
  ],
]);

/**
 * In-order, power-efficient "LITTLE" cores. Used to order clusters fastest-first when cpufreq is missing
 * (a LITTLE cluster is never the performance cluster).
 */
const LITTLE_CORES = new Set([
  "Cortex-A5",
  "Cortex-A7",
  "Cortex-A32",
  "Cortex-A34",
  "Cortex-A35",
  "Cortex-A53",
  "Cortex-A55",
  "Cortex-A510",
  "Cortex-A520",
  "Icestorm-M1",
  "Blizzard-M2",
]);

/** Implementer name ("ARM", "NVIDIA", "Qualcomm", …) for the "CPU implementer" value, or null if unknown. */
export function armImplementerName(implementer: number): string | null {
  return IMPLEMENTERS.get(implementer) ?? null;
}

/**
 * Core name for an implementer/part pair, e.g. (0x41, 0xd0b) → "Cortex-A76"; null when the pair is unknown.
 */
export function armCoreName(implementer: number, part: number): string | null {
  if (implementer === 0x41) return ARM_PARTS.get(part) ?? null;
  return OTHER_PARTS.get(implementer)?.get(part) ?? null;
}

/** True for in-order efficiency cores (Cortex-A53/A55/A510/…); false for big or unknown cores. */
export function isLittleCore(name: string): boolean {
  return LITTLE_CORES.has(name);
}
