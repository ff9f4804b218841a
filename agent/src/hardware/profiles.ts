import { readdirSync, readFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { Ajv } from "ajv";
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { loadYamlFile } from "../config/yaml-file.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { hardwareProfilesDir } from "../paths.js";
import type { DeviceProfile } from "./profile-types.js";
import type { GpuInfo, HardwareReport } from "./types.js";

/** GPU vendors llama.cpp can compute on (CUDA, Vulkan, Metal). Broadcom VideoCore and Mali are listed in
 * reports for information only. */
export const USABLE_GPU_VENDORS: ReadonlySet<string> = new Set(["nvidia", "amd", "intel", "apple"]);

/**
 * Loads every device profile `<dir>/profiles/*.yaml` (and .yml), validated with `<dir>/profile.schema.json`
 * (ajv, draft-07). The id of each profile is its file stem. Returned sorted by id.
 * Throws UserError naming the file, line and key for: YAML syntax errors, schema violations (unknown key,
 * wrong type, …), an invalid regular expression (match.board, match.cpuModel, gpuMemoryBandwidth.models[].match),
 * contextSize not min ≤ default ≤ max, a quantised kvCacheType without flashAttention, a bad file name,
 * and two files with the same id; also when the folder holds no profile.
 */
export function loadProfiles(dir: string = hardwareProfilesDir()): DeviceProfile[] {
  const schemaFile = join(dir, "profile.schema.json");
  let schema: object;
  try {
    schema = JSON.parse(readFileSync(schemaFile, "utf8")) as object;
  } catch (err) {
    throw new UserError(`cannot read the device profile schema ${schemaFile}: ${(err as Error).message}`, {
      code: ErrorCode.PROFILES_INVALID,
      fix: "set CLAWBOX_PROFILES_DIR to the hardware-profiles folder of the clawbox release",
      cause: err,
    });
  }
  const validate = new Ajv({ allErrors: true }).compile<Omit<DeviceProfile, "id">>(schema);
  const profilesDir = join(dir, "profiles");
  let files: string[];
  try {
    files = readdirSync(profilesDir)
      .filter((f) => [".yaml", ".yml"].includes(extname(f)))
      .sort();
  } catch {
    files = [];
  }
  if (files.length === 0) {
    throw new UserError(`no device profiles in ${profilesDir}`, {
      code: ErrorCode.PROFILES_INVALID,
      fix: "set CLAWBOX_PROFILES_DIR to the hardware-profiles folder of the clawbox release",
    });
  }
  const byId = new Map<string, string>();
  const profiles: DeviceProfile[] = [];
  for (const f of files) {
    const file = join(profilesDir, f);
    const id = basename(f, extname(f));
    if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) {
      throw new UserError(`device profile ${file}: file name "${f}" is not a valid profile id`, {
        code: ErrorCode.PROFILES_INVALID,
        fix: "rename it to lower-case letters, digits and dashes, e.g. raspberry-pi-5.yaml",
      });
    }
    const seen = byId.get(id);
    if (seen) {
      throw new UserError(`device profile ${file}: id "${id}" is already defined by ${seen}`, {
        code: ErrorCode.PROFILES_INVALID,
        fix: "keep only one of the two files",
      });
    }
    byId.set(id, file);
    const body = loadYamlFile(file, validate, "device profile");
    checkSemantics(file, body);
    profiles.push({ id, ...body });
  }
  return profiles.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Checks what JSON Schema cannot: regexes compile, context sizes are ordered, KV-cache/flash-attention pairing. */
function checkSemantics(file: string, p: Omit<DeviceProfile, "id">): void {
  const fail = (path: (string | number)[], reason: string, fix: string): never => {
    const line = lineOf(file, path);
    throw new UserError(`device profile ${file}${line ? `:${line}` : ""}: ${path.join(".")} ${reason}`, {
      code: ErrorCode.YAML_INVALID,
      fix,
    });
  };
  const regex = (path: (string | number)[], source: string | undefined) => {
    if (source === undefined) return;
    try {
      new RegExp(source, "i");
    } catch (err) {
      fail(
        path,
        `is not a valid regular expression: ${(err as Error).message}`,
        "fix the regular expression",
      );
    }
  };
  regex(["match", "board"], p.match.board);
  regex(["match", "cpuModel"], p.match.cpuModel);
  p.gpuMemoryBandwidth?.models.forEach((m, i) => {
    regex(["gpuMemoryBandwidth", "models", i, "match"], m.match);
  });
  const c = p.runtime.contextSize;
  if (!(c.min <= c.default && c.default <= c.max)) {
    fail(
      ["runtime", "contextSize"],
      `must satisfy min ≤ default ≤ max (got ${c.min}, ${c.default}, ${c.max})`,
      "reorder the three sizes",
    );
  }
  if (p.runtime.kvCacheType !== "f16" && !p.runtime.flashAttention) {
    fail(
      ["runtime", "kvCacheType"],
      `"${p.runtime.kvCacheType}" needs runtime.flashAttention: true (llama.cpp quantises the V cache only with flash attention)`,
      "set runtime.flashAttention: true or use kvCacheType: f16",
    );
  }
}

/** 1-based line of the deepest existing key along `path` in a YAML file; null if unreadable. */
function lineOf(file: string, path: (string | number)[]): number | null {
  try {
    const lc = new LineCounter();
    let node = parseDocument(readFileSync(file, "utf8"), { lineCounter: lc }).contents as YamlNode | null;
    let line: number | null = null;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((it) => String((it.key as { value?: unknown })?.value) === String(key));
        if (!pair) break;
        const k = pair.key as YamlNode;
        if (k.range) line = lc.linePos(k.range[0]).line;
        node = pair.value as YamlNode | null;
      } else if (isSeq(node)) {
        node = node.items[Number(key)] as YamlNode | null;
        if (node?.range) line = lc.linePos(node.range[0]).line;
      } else break;
    }
    return line;
  } catch {
    return null;
  }
}

/** A GPU llama.cpp can use: nvidia/amd/intel/apple (not Broadcom VideoCore, not Mali). */
export function isUsableGpu(gpu: GpuInfo): boolean {
  return USABLE_GPU_VENDORS.has(gpu.vendor);
}

/** Why `profile` matches `report` (one phrase per condition), or null when a condition fails. Pure. */
export function profileMatches(profile: DeviceProfile, report: HardwareReport): string[] | null {
  const m = profile.match;
  const why: string[] = [];
  if (m.arch) {
    if (!m.arch.includes(report.arch)) return null;
    why.push(`arch ${report.arch}`);
  }
  if (m.board !== undefined) {
    if (report.board === null || !new RegExp(m.board, "i").test(report.board)) return null;
    why.push(`board "${report.board}" matches /${m.board}/i`);
  }
  if (m.cpuModel !== undefined) {
    if (!new RegExp(m.cpuModel, "i").test(report.cpu.model)) return null;
    why.push(`CPU "${report.cpu.model}" matches /${m.cpuModel}/i`);
  }
  if (m.gpuVendor !== undefined || m.unifiedMemory !== undefined) {
    const gpu = report.gpus.find(
      (g) =>
        (m.gpuVendor !== undefined ? g.vendor === m.gpuVendor : isUsableGpu(g)) &&
        (m.unifiedMemory === undefined || g.unifiedMemory === m.unifiedMemory),
    );
    if (!gpu) return null;
    why.push(`GPU "${gpu.model}"${gpu.unifiedMemory ? " (unified memory)" : " (dedicated VRAM)"}`);
  }
  if (m.noGpu !== undefined) {
    const usable = report.gpus.filter(isUsableGpu);
    if (m.noGpu !== (usable.length === 0)) return null;
    why.push(m.noGpu ? "no usable GPU" : "a usable GPU");
  }
  return why;
}

/**
 * Picks the profile for a report: the highest `priority` among those whose every match condition holds
 * (ties: first by id). Returns it with `why`, a sentence naming the conditions that matched and the runner-up.
 * Generic fallbacks (x86-cpu, generic-arm64) match on arch alone, so every arm64/x64 report gets a profile.
 * Throws UserError (`no_profile`) when no profile matches, e.g. an architecture without profiles (riscv64).
 */
export function matchProfile(
  report: HardwareReport,
  profiles: DeviceProfile[],
): { profile: DeviceProfile; why: string } {
  const hits = profiles
    .map((profile) => ({ profile, why: profileMatches(profile, report) }))
    .filter((h): h is { profile: DeviceProfile; why: string[] } => h.why !== null)
    .sort((a, b) => b.profile.priority - a.profile.priority || (a.profile.id < b.profile.id ? -1 : 1));
  const best = hits[0];
  if (!best) {
    const archs = [...new Set(profiles.flatMap((p) => p.match.arch ?? []))].sort().join(", ");
    throw new UserError(
      `no device profile matches this ${report.arch} machine (board ${JSON.stringify(report.board)}, CPU "${report.cpu.model}"); profiles exist for: ${archs}`,
      {
        code: ErrorCode.NO_PROFILE,
        fix: `add a profile with match.arch [${report.arch}] under hardware-profiles/profiles/, or run clawbox on ${archs}`,
      },
    );
  }
  const others = hits.slice(1).map((h) => h.profile.id);
  const conditions = best.why.length > 0 ? best.why.join(", ") : "no conditions";
  const also = others.length > 0 ? `; also matched (lower priority): ${others.join(", ")}` : "";
  return { profile: best.profile, why: `${conditions} (priority ${best.profile.priority})${also}` };
}

/**
 * Weight bytes each llama.cpp generation thread needs before one more thread pays, bytes (decimal MB).
 * Below it the work a thread does per token is too small against the per-token cost of extra threads
 * (without an attached threadpool llama.cpp starts a fresh helper thread for every decode, and the threads
 * meet at spin barriers after every graph operation, which stall whenever a core is busy elsewhere).
 * Measured with test/bench/thread-crossover.ts on the 2-core dev VM (AMD EPYC, KVM; node-llama-cpp 3.22.1 CPU
 * prebuilt; random f32 `llama` GGUFs with 8 blocks; greedy, 64 tokens; median of 5 runs, 3 sweeps), cores
 * freed for the run with `chrt -r 1`: 2 threads ÷ 1 thread = 0.94 (stories260K, 1.2 MB), 1.04 (1.0 MB),
 * 1.05 (2.6 MB), 1.08 (3.8 MB), 1.29 (8.3 MB), 1.50 (17 MB), 1.32 (33 MB), 1.40 (67 MB), 1.28 (258 MB).
 * So 8 MB: below it a second thread gains at most ~8 % on free cores, while with the other core busy
 * (load 3–9, the same sweep without chrt) it was 10–40× slower (stories260K: 3,700 vs 2–317 tokens/s).
 * With the other core busy no size up to 258 MB gained (2÷1 = 0.03–0.50): that is load, not model size.
 * Quantised weights (Q4_K_M, Q8_0) cost more arithmetic per byte than f32, so threads pay earlier there:
 * a byte threshold measured on f32 errs towards fewer threads, and only for tiny models (real ones are
 * ≥ 100 MB and get up to 13 threads, i.e. every performance core of the devices we profile).
 */
export const MIN_WEIGHT_BYTES_PER_THREAD = 8_000_000;

/**
 * Threads worth using for a model of `modelBytes` (GGUF file size, bytes) when up to `maxThreads` are
 * available: max(1, min(maxThreads, ceil(modelBytes / MIN_WEIGHT_BYTES_PER_THREAD))). `maxThreads` when
 * `modelBytes` is not a positive number (size unknown). Pure.
 */
export function threadsForModelBytes(maxThreads: number, modelBytes?: number): number {
  const cap = Math.max(1, Math.floor(maxThreads));
  if (modelBytes === undefined || !Number.isFinite(modelBytes) || modelBytes <= 0) return cap;
  return Math.max(1, Math.min(cap, Math.ceil(modelBytes / MIN_WEIGHT_BYTES_PER_THREAD)));
}

/**
 * Inference threads for `profile` on `report`: "performance-cores" → cpu.performanceCores (falls back to
 * physicalCores), lowered for small models when `modelBytes` (the GGUF file size, bytes) is given
 * ({@link threadsForModelBytes}: one thread per MIN_WEIGHT_BYTES_PER_THREAD of weights); a fixed number in the
 * profile is used as is. Always clamped to 1 … cpu.logicalCores. Pure.
 * Why performance cores only: llama.cpp threads meet at a barrier after every operation, so a thread on a
 * slower LITTLE/E core or on an SMT sibling holds back the big cores while adding no memory bandwidth.
 */
export function resolveThreads(profile: DeviceProfile, report: HardwareReport, modelBytes?: number): number {
  const wanted =
    profile.runtime.threads === "performance-cores"
      ? threadsForModelBytes(report.cpu.performanceCores ?? report.cpu.physicalCores, modelBytes)
      : profile.runtime.threads;
  return Math.max(1, Math.min(wanted, report.cpu.logicalCores));
}

/**
 * VRAM bandwidth for a discrete GPU under `profile`: the first `gpuMemoryBandwidth.models` entry whose
 * regex matches `gpu.model`, else the profile default; with the efficiency to apply and the sources.
 * Returns null when the profile has no GPU bandwidth table (CPU and unified-memory profiles: use
 * `memoryBandwidthGBs`).
 */
export function gpuBandwidthFor(
  profile: DeviceProfile,
  gpu: GpuInfo,
): { GBs: number; source: string; efficiency: number; efficiencySource: string } | null {
  const t = profile.gpuMemoryBandwidth;
  if (!t) return null;
  const hit = t.models.find((m) => new RegExp(m.match, "i").test(gpu.model));
  return {
    GBs: hit?.GBs ?? t.defaultGBs,
    source: hit?.source ?? t.defaultSource,
    efficiency: t.efficiency,
    efficiencySource: t.efficiencySource,
  };
}
