import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import type { Logger } from "pino";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { ModelLoadSpec } from "./types.js";

/** Compute backend key of a load spec: false (CPU), "cuda", "vulkan", "metal" or "auto". */
export type GpuBackend = NonNullable<ModelLoadSpec["gpu"]>;

/**
 * One llama.cpp binding (`Llama` instance) per compute backend, created on first use and reused for every
 * later model load (creating one loads the native backend: ~0.3–0.8 s measured on the dev VM).
 *
 * Settings and why:
 * - `build: "never"`: never download or compile llama.cpp at runtime (an appliance has no toolchain).
 * - `gpu` from the spec (the device profile): on a Jetson "cuda" must be forced, since "auto" quietly picks
 *   the CPU-only arm64 prebuilt (research notes §1, node-llama-cpp#651).
 * - `maxThreads: 0`: no cap, so the context's explicit `threads` is used as given. The default cap is
 *   max(cpuMathCores, 4) on CPU, which would silently lower a profile's thread count on bigger CPUs, and a
 *   non-zero cap also routes every decode through node-llama-cpp's async thread splitter.
 * - llama.cpp logs go to pino at warn level and above.
 */
export class LlamaRuntime {
  private readonly instances = new Map<string, Promise<Llama>>();

  /**
   * @param logger receives llama.cpp log lines (warn and above).
   * @param provided an existing Llama to use for every backend (tests, or a host that owns the binding);
   *   it is not disposed by {@link dispose}.
   */
  constructor(
    private readonly logger: Logger | undefined,
    private readonly provided?: Llama,
  ) {}

  /**
   * The Llama binding for `gpu` (default CPU). Throws UserError `gpu_unavailable` (500) when that backend's
   * binary cannot be loaded on this machine.
   */
  async get(gpu: GpuBackend = false): Promise<Llama> {
    if (this.provided) return this.provided;
    const key = String(gpu);
    let instance = this.instances.get(key);
    if (!instance) {
      instance = this.create(gpu);
      this.instances.set(key, instance);
      instance.catch(() => this.instances.delete(key));
    }
    return instance;
  }

  private async create(gpu: GpuBackend): Promise<Llama> {
    try {
      return await getLlama({
        gpu,
        build: "never",
        maxThreads: 0,
        logLevel: LlamaLogLevel.warn,
        logger: (level, message) => this.log(level, message),
        progressLogs: false,
      });
    } catch (err) {
      throw new UserError(
        `The llama.cpp ${gpu === false ? "CPU" : gpu} backend cannot be loaded: ${(err as Error).message}`,
        {
          code: ErrorCode.GPU_UNAVAILABLE,
          status: 500,
          fix:
            gpu === false
              ? "Reinstall the agent (the node-llama-cpp prebuilt binary for this platform is missing)."
              : `Install the ${gpu} drivers/runtime, or set gpu: false in the device profile to run on the CPU.`,
          cause: err,
        },
      );
    }
  }

  private log(level: LlamaLogLevel, message: string): void {
    const text = message.trimEnd();
    if (!this.logger || text === "") return;
    if (level === LlamaLogLevel.fatal || level === LlamaLogLevel.error)
      this.logger.error({ llama: text }, "llama.cpp");
    else if (level === LlamaLogLevel.warn) this.logger.warn({ llama: text }, "llama.cpp");
    else this.logger.debug({ llama: text }, "llama.cpp");
  }

  /**
   * Disposes the bindings this runtime created (not a provided one), waiting at most `waitMs` per binding
   * (default 5,000 ms). The bound exists because node-llama-cpp 3.22.1 leaks a dispose guard when llama.cpp
   * fails to load a model, so `Llama.dispose()` can wait for garbage collection; shutdown must not hang on it.
   */
  async dispose(waitMs = 5_000): Promise<void> {
    const all = [...this.instances.values()];
    this.instances.clear();
    for (const p of all) {
      const llama = await p.catch(() => undefined);
      if (!llama) continue;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), waitMs);
        timer.unref?.();
      });
      const outcome = await Promise.race([llama.dispose().then(() => "done" as const), timedOut]);
      clearTimeout(timer);
      if (outcome === "timeout")
        this.logger?.warn({ waitMs }, "llama.cpp binding did not finish disposing; continuing");
    }
  }
}
