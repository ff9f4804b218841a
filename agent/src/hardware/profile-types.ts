/**
 * A device profile from `hardware-profiles/profiles/*.yaml` (schema: `hardware-profiles/profile.schema.json`).
 * It says which HardwareReports it matches and how to run inference there.
 */
export interface DeviceProfile {
  /** File stem, e.g. "raspberry-pi-5". */
  id: string;
  name: string;
  description: string;
  /** Higher wins when several profiles match (specific boards over generic classes). */
  priority: number;
  /** Every given condition must hold. */
  match: ProfileMatch;
  /** Sustained memory bandwidth in GB/s (10^9 bytes/s) of the memory that holds the weights. */
  memoryBandwidthGBs: number;
  /** Where that number comes from (datasheet, computed bus width × transfer rate, measurement). */
  memoryBandwidthSource: string;
  /**
   * Fraction of the bandwidth bound that token generation reaches (tokens/s ≈ bandwidth × efficiency ÷ weight bytes).
   * With its source (e.g. measured Pi 5 llama3.2:3b 4.61 t/s vs 8.5 bound = 0.54).
   */
  efficiency: number;
  efficiencySource: string;
  /** Bytes kept free for the OS, the agent process and page cache (not given to the model). */
  osReserveBytes: number;
  runtime: RuntimeTuning;
  /**
   * Profiles whose weights sit in dedicated VRAM (discrete GPUs): the VRAM bandwidth per GPU model, since
   * `memoryBandwidthGBs` then only describes system RAM (layers that spill to the CPU). Absent elsewhere.
   */
  gpuMemoryBandwidth?: GpuMemoryBandwidth;
}

/** VRAM bandwidth of discrete GPUs, looked up by GPU model name (see `gpuBandwidthFor` in profiles.ts). */
export interface GpuMemoryBandwidth {
  /** GB/s (10^9 bytes/s) for a GPU no entry in `models` matches. */
  defaultGBs: number;
  defaultSource: string;
  /** Fraction of the VRAM bandwidth bound that token generation reaches, with its source. */
  efficiency: number;
  efficiencySource: string;
  /** First entry whose `match` (case-insensitive regular expression on GpuInfo.model) matches wins. */
  models: { match: string; GBs: number; source: string }[];
}

export interface ProfileMatch {
  /** Node `process.arch` values. */
  arch?: string[];
  /** Case-insensitive regular expression on `report.board`. */
  board?: string;
  /** Case-insensitive regular expression on `report.cpu.model`. */
  cpuModel?: string;
  /** Some GPU of this vendor must be present. */
  gpuVendor?: "nvidia" | "amd" | "intel" | "apple" | "broadcom" | "arm";
  /** When given, the matched GPU must (true) or must not (false) use unified memory. */
  unifiedMemory?: boolean;
  /** true: the report must have no usable GPU (CPU-only profile). */
  noGpu?: boolean;
}

export interface RuntimeTuning {
  /** "performance-cores" (the big/P cores of the report) or a fixed count. */
  threads: "performance-cores" | number;
  /** Prompt-processing batch size in tokens. */
  batchSize: number;
  /** node-llama-cpp `getLlama({gpu})`: false = CPU only; "cuda" must be forced on Jetson. */
  gpu: false | "cuda" | "vulkan" | "metal" | "auto";
  /** Load weights with mmap (false on SD cards where page-cache eviction thrashes). */
  mmap: boolean;
  /** KV cache element type (llama.cpp `--cache-type-k/v`). */
  kvCacheType: "f16" | "q8_0" | "q4_0";
  /** Context size in tokens: the default to aim for and the cap never exceeded. */
  contextSize: { default: number; min: number; max: number };
  flashAttention: boolean;
  /** Conversations decoded together in one batch (KV cache sequences); absent = 1. Bounded by memory at load. */
  parallelSequences?: number;
}
