/**
 * HardwareReport: what `clawbox detect --json` prints and `clawbox recommend --hardware FILE` reads.
 * Field names and units are a public contract (other tools and tests produce and consume it):
 * all sizes are bytes, all frequencies MHz, `arch` uses Node's `process.arch` values.
 */
export interface HardwareReport {
  /** Bumped only on incompatible changes. */
  schemaVersion: 1;
  /** Node's `process.arch`: "arm64", "x64", "arm", "riscv64", … */
  arch: string;
  /** Node's `process.platform`: "linux" on devices. */
  platform: string;
  /** Board name from `/proc/device-tree/model` or DMI (e.g. "Raspberry Pi 5 Model B Rev 1.0"); null if unknown. */
  board: string | null;
  cpu: CpuInfo;
  memory: MemoryInfo;
  gpus: GpuInfo[];
  /** Free bytes on the filesystem that holds the model store (`diskPath`). */
  diskFreeBytes: number;
  /** The path whose filesystem `diskFreeBytes` describes (the models folder or its nearest existing parent). */
  diskPath?: string;
  os?: { distro: string; release: string; kernel: string };
  /** ISO 8601 time of detection. */
  detectedAt?: string;
  /** Where this report came from: "detected" on the device, or a note like "built from the Raspberry Pi 5 datasheet". */
  source?: string;
  /**
   * Hardware found but not usable, in words for the owner (e.g. "NVIDIA GPU [10de:2684] … install the NVIDIA
   * driver", "nvidia-smi failed: …"). Absent when there is nothing to say.
   */
  notes?: string[];
}

export interface CpuInfo {
  /** Marketing or core name: "Cortex-A76", "Intel(R) N100", "AMD Ryzen 7 5800X 8-Core Processor". */
  model: string;
  vendor?: string;
  /** Physical cores (no SMT siblings). */
  physicalCores: number;
  /** Logical CPUs the OS schedules on (with SMT siblings). */
  logicalCores: number;
  /**
   * Cores of the fastest cluster (big.LITTLE: the big cores; Intel hybrid: P-cores). Equals
   * `physicalCores` on homogeneous CPUs. Inference threads should be this number.
   */
  performanceCores?: number;
  /** Cores of slower clusters (LITTLE / E-cores); 0 on homogeneous CPUs. */
  efficiencyCores?: number;
  /** Clusters of cores that share a max frequency / core type, fastest first. */
  clusters?: CpuCluster[];
  /** Lower-case feature flags as in /proc/cpuinfo: "avx2", "avx512f", "asimd", "asimddp", "fma", "f16c", … */
  flags: string[];
  /** Highest max frequency over all cores, MHz; null if unknown. */
  maxMHz?: number | null;
}

export interface CpuCluster {
  /** e.g. "Cortex-A76" from the MIDR part number, or "P-core"/"E-core". */
  name: string;
  /** Logical CPU ids in this cluster. */
  cpuIds: number[];
  maxMHz: number | null;
}

export interface MemoryInfo {
  /** Physical RAM the kernel manages (MemTotal). */
  totalBytes: number;
  /** MemAvailable: what can be allocated without swapping. */
  availableBytes: number;
  /** Total swap (zram included); never counted as room for model weights. */
  swapBytes: number;
}

export type GpuVendor = "nvidia" | "amd" | "intel" | "apple" | "broadcom" | "arm" | "other";

export interface GpuInfo {
  vendor: GpuVendor;
  model: string;
  /** Dedicated VRAM in bytes; for unified-memory GPUs the share of RAM it can use (or null if unknown). */
  vramBytes: number | null;
  /** True when the GPU shares system RAM (Jetson, iGPUs, Apple): one pool, never counted twice. */
  unifiedMemory: boolean;
  driverVersion?: string | null;
  /** NVIDIA compute capability, e.g. "8.7" (Orin). */
  computeCapability?: string | null;
}
