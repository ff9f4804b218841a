import { createServer } from "node:net";
import type { ClawboxConfig } from "../config/config-schema.js";
import { configDataDir } from "../config/load-config.js";
import { describeError } from "../errors.js";
import { formatFileSize } from "../format/bytes.js";
import { detectHardware } from "../hardware/detect.js";
import type { DeviceProfile } from "../hardware/profile-types.js";
import { loadProfiles, matchProfile } from "../hardware/profiles.js";
import type { HardwareReport } from "../hardware/types.js";
import { loadCatalogue } from "../models/catalogue.js";
import { recommend } from "../models/select.js";
import { ModelStore } from "../models/store.js";
import { modelsDir } from "../paths.js";

export type CheckStatus = "ok" | "warn" | "fail";

/** One line of `clawbox doctor`: what was checked, what was found, and (unless ok) how to fix it. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/** Minimum Node version: node-llama-cpp 3 and `import.meta.dirname` need ≥ 20.11. */
export const MIN_NODE = [20, 11] as const;
/** Below this much free disk in the model store a pull of even the smallest useful model fails (1 GiB). */
const MIN_FREE_DISK_BYTES = 1024 ** 3;

/** Node version check. Pure: takes `process.versions.node`. */
export function checkNode(version: string): CheckResult {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? { name: "node", status: "ok", detail: `Node ${version}` }
    : {
        name: "node",
        status: "fail",
        detail: `Node ${version} is older than ${MIN_NODE.join(".")}`,
        fix: "install Node 20 LTS or newer (Debian: the nodejs package from NodeSource, or nvm)",
      };
}

/**
 * Whether `host:port` can be bound. A port held by a running clawbox agent (its /healthz answers) is ok;
 * held by anything else it is a failure with the fix to pass --port or stop that process.
 */
export async function checkPort(host: string, port: number): Promise<CheckResult> {
  const free = await new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
  if (free) return { name: "port", status: "ok", detail: `${host}:${port} is free` };
  const probeHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const isAgent = await fetch(
    `http://${probeHost.includes(":") ? `[${probeHost}]` : probeHost}:${port}/healthz`,
    {
      signal: AbortSignal.timeout(1000),
    },
  ).then(
    async (r) => ((await r.json().catch(() => null)) as { status?: string } | null)?.status !== undefined,
    () => false,
  );
  return isAgent
    ? { name: "port", status: "ok", detail: `${host}:${port} is served by a running clawbox agent` }
    : {
        name: "port",
        status: "fail",
        detail: `${host}:${port} is in use by another program`,
        fix: `stop that program, or start clawbox with --port N (or server.port in the config)`,
      };
}

/** Free disk in the model store against what the recommended model needs (or 1 GiB). */
export function checkDisk(report: HardwareReport, neededBytes: number | null): CheckResult {
  const need = Math.max(neededBytes ?? 0, MIN_FREE_DISK_BYTES);
  const detail = `${formatFileSize(report.diskFreeBytes)} free at ${report.diskPath ?? "the model store"}`;
  return report.diskFreeBytes >= need
    ? { name: "disk", status: "ok", detail }
    : {
        name: "disk",
        status: neededBytes !== null && report.diskFreeBytes < neededBytes ? "fail" : "warn",
        detail: `${detail}; ${formatFileSize(need)} wanted`,
        fix: "free disk space, or point --data-dir at a larger disk",
      };
}

/**
 * GPU driver and runtime: for a profile that wants CUDA/Vulkan, the driver must be visible
 * (nvidia-smi for CUDA) and node-llama-cpp must load that backend's prebuilt binary.
 */
export async function checkGpu(report: HardwareReport, profile: DeviceProfile): Promise<CheckResult> {
  const backend = profile.runtime.gpu;
  const notes = report.notes?.length ? ` (${report.notes.join("; ")})` : "";
  if (backend === false)
    return { name: "gpu", status: "ok", detail: `CPU inference (profile ${profile.id})${notes}` };
  if (backend === "cuda" && !report.gpus.some((g) => g.vendor === "nvidia" && g.driverVersion))
    return {
      name: "gpu",
      status: "fail",
      detail: `profile ${profile.id} runs on CUDA but no working NVIDIA driver was found${notes}`,
      fix: "install the NVIDIA driver (nvidia-smi must work); on Jetson install JetPack",
    };
  try {
    const { getLlama } = await import("node-llama-cpp");
    const llama = await getLlama({
      gpu: backend,
      build: "never",
      skipDownload: true,
      logLevel: "disabled" as never,
    });
    const names = await llama.getGpuDeviceNames().catch(() => []);
    await llama.dispose();
    return {
      name: "gpu",
      status: "ok",
      detail: `${backend} runtime loads${names.length ? `: ${names.join(", ")}` : ""}`,
    };
  } catch (err) {
    return {
      name: "gpu",
      status: "fail",
      detail: `the ${backend} runtime of node-llama-cpp does not load: ${describeError(err)}`,
      fix:
        backend === "cuda"
          ? "install the CUDA runtime (libcudart 12) or build llama.cpp with `npx node-llama-cpp source download --gpu cuda`"
          : `install the ${backend} runtime (e.g. mesa-vulkan-drivers), or set inference to CPU`,
    };
  }
}

/**
 * The configured model (or the recommended one) is in the store / on disk.
 * Returns the recommended file size so the disk check can use it.
 */
export async function checkModel(
  config: ClawboxConfig,
  store: ModelStore,
  report: HardwareReport,
  profile: DeviceProfile,
): Promise<{ result: CheckResult; neededBytes: number | null }> {
  if (config.model) {
    try {
      const path = await store.resolve(config.model);
      return {
        result: { name: "model", status: "ok", detail: `${config.model} → ${path}` },
        neededBytes: null,
      };
    } catch (err) {
      return {
        result: {
          name: "model",
          status: "fail",
          detail: describeError(err),
          fix: `clawbox models pull ${config.model}`,
        },
        neededBytes: null,
      };
    }
  }
  const rec = recommend(report, profile, loadCatalogue(), {
    minTokensPerSecond: config.recommend.minTokensPerSecond,
    preferLanguages: config.recommend.languages ?? [],
    installedFiles: (await store.list()).map((m) => m.name),
  });
  if (!rec.choice)
    return { result: { name: "model", status: "fail", detail: rec.reason }, neededBytes: null };
  const file = rec.choice.uri.split("/").pop() ?? "";
  const installed = (await store.list()).some((m) => m.name === file);
  return installed
    ? {
        result: {
          name: "model",
          status: "ok",
          detail: `recommended ${rec.choice.model} ${rec.choice.quant} is in the store`,
        },
        neededBytes: null,
      }
    : {
        result: {
          name: "model",
          status: "warn",
          detail: `no model configured and the recommended ${rec.choice.model} ${rec.choice.quant} is not in the store`,
          fix: `clawbox models pull ${rec.choice.uri}   (or clawbox models import FILE.gguf)`,
        },
        neededBytes: rec.choice.fileBytes,
      };
}

/** Runs every check for an already loaded config. Never throws: a crashing check becomes a failed line. */
export async function runChecks(config: ClawboxConfig, configLine: CheckResult): Promise<CheckResult[]> {
  const results: CheckResult[] = [checkNode(process.versions.node), configLine];
  const store = new ModelStore(modelsDir(configDataDir(config)), { catalogue: loadCatalogue() });
  const report = await detectHardware({ modelsDir: store.dir });
  let profile: DeviceProfile;
  try {
    const m = matchProfile(report, loadProfiles());
    profile = m.profile;
    results.push({ name: "profile", status: "ok", detail: `${profile.id}: ${m.why}` });
  } catch (err) {
    results.push({ name: "profile", status: "fail", detail: describeError(err) });
    return results;
  }
  const model = await checkModel(config, store, report, profile).catch((err: unknown) => ({
    result: { name: "model", status: "fail" as const, detail: describeError(err) },
    neededBytes: null,
  }));
  results.push(checkDisk(report, model.neededBytes), await checkPort(config.server.host, config.server.port));
  results.push(await checkGpu(report, profile), model.result);
  return results;
}
