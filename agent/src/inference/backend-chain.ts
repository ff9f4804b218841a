import type { Logger } from "pino";
import type { RemoteBackendConfig, RoutingConfig } from "../config/backends-schema.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { RemoteBackend } from "./remote-backend.js";
import type {
  CompletionRequest,
  CompletionResult,
  InferenceService,
  InferenceStats,
  LoadedModelInfo,
  ModelLoadSpec,
} from "./types.js";

/** What {@link createBackendChain} needs. */
export interface BackendChainOptions {
  /** The on-device engine (inference/engine.ts). */
  local: InferenceService;
  /** `backends:` of the config; ignored entirely while `routing.localOnly` is true. */
  backends: Record<string, RemoteBackendConfig> | undefined;
  routing: RoutingConfig;
  logger?: Pick<Logger, "info" | "warn">;
}

/** Errors after which the next backend is tried (nothing was generated yet; another backend may answer). */
const FALLBACK_CODES = new Set<ErrorCode>([
  ErrorCode.MODEL_NOT_LOADED,
  ErrorCode.BUSY,
  ErrorCode.MODEL_LOAD_FAILED,
  ErrorCode.REMOTE_UNREACHABLE,
  ErrorCode.REMOTE_AUTH,
  ErrorCode.REMOTE_FAILED,
]);

/**
 * Wraps the local engine in an ordered chain of backends: the one in use (`local`, or `remote:<name>` after
 * `clawbox models use remote:<name>` / POST /admin/model), then `routing.fallback` in order. Everything that
 * talks to an InferenceService (chat completions, bridges, the CLI chat) goes through it unchanged.
 *
 * Privacy rule "no prompt leaves the device unless the owner said so" is enforced here and only here: with
 * `routing.localOnly` (the default) no RemoteBackend object is ever created, so no code path can send a
 * prompt anywhere; switching to a remote is refused with `local_only` (403).
 */
export function createBackendChain(opts: BackendChainOptions): InferenceService {
  return new BackendChain(opts);
}

class BackendChain implements InferenceService {
  private readonly local: InferenceService;
  private readonly remotes = new Map<string, RemoteBackend>();
  private readonly fallback: string[];
  private readonly localOnly: boolean;
  private readonly logger: Pick<Logger, "info" | "warn"> | undefined;
  /** "local" or "remote:<name>". */
  private active = "local";
  /**
   * Legacy text completions and embeddings run on the local model whichever backend answers chat (remote
   * backends are chat-only); absent when the local engine lacks them, so the routes answer 501 as for it.
   */
  readonly completeText?: InferenceService["completeText"];
  readonly embed?: InferenceService["embed"];
  private remoteTokens = 0;

  constructor(opts: BackendChainOptions) {
    this.local = opts.local;
    this.completeText = opts.local.completeText?.bind(opts.local);
    this.embed = opts.local.embed?.bind(opts.local);
    this.logger = opts.logger;
    this.localOnly = opts.routing.localOnly;
    if (!this.localOnly) {
      for (const [name, config] of Object.entries(opts.backends ?? {})) {
        this.remotes.set(name, new RemoteBackend(name, config));
      }
    } else if (Object.keys(opts.backends ?? {}).length > 0) {
      this.logger?.info(
        { backends: Object.keys(opts.backends ?? {}) },
        "routing.localOnly is on: remote backends are configured but never used",
      );
    }
    this.fallback = opts.routing.fallback.filter(
      (ref) => ref === "local" || this.remotes.has(remoteName(ref)),
    );
    for (const ref of opts.routing.fallback) {
      if (ref !== "local" && !this.localOnly && !this.remotes.has(remoteName(ref))) {
        this.logger?.warn({ ref }, "routing.fallback names a backend that is not in backends:; skipped");
      }
    }
  }

  /** The backend that answers next: the one in use, else the first fallback that can (local needs a model). */
  get model(): LoadedModelInfo | null {
    for (const ref of this.order()) {
      const info = ref === "local" ? this.local.model : this.remotes.get(remoteName(ref))?.info;
      if (info) return info;
    }
    return null;
  }

  /**
   * A local spec loads on the engine (hot switch) and makes `local` the backend in use; `spec.remote` checks
   * that the remote answers with its token (GET /models) and makes it the backend in use, without unloading
   * the local model (it stays ready as a fallback). Throws `local_only` (403) under routing.localOnly,
   * `unknown_backend` (404) for a name not in `backends:`, or the remote's remote_* error.
   */
  async load(spec: ModelLoadSpec): Promise<LoadedModelInfo> {
    if (spec.remote === undefined) {
      const info = await this.local.load(spec);
      this.active = "local";
      return info;
    }
    if (this.localOnly) {
      throw new UserError(
        `remote:${spec.remote} cannot be used: routing.localOnly is on, so no prompt leaves this device`,
        {
          code: ErrorCode.LOCAL_ONLY,
          status: 403,
          fix: "set `routing: {localOnly: false}` in the config file and restart the agent to allow remote backends",
        },
      );
    }
    const remote = this.remotes.get(spec.remote);
    if (!remote) {
      const known = [...this.remotes.keys()];
      throw new UserError(`there is no remote backend named "${spec.remote}"`, {
        code: ErrorCode.UNKNOWN_BACKEND,
        status: 404,
        fix: known.length
          ? `use one of: ${known.map((n) => `remote:${n}`).join(", ")}`
          : "add it under `backends:` in the config file (url, token, model) and restart the agent",
      });
    }
    await remote.probe();
    this.active = `remote:${spec.remote}`;
    this.logger?.info({ backend: this.active, url: remote.info.path }, "remote backend in use");
    return remote.info;
  }

  /**
   * Tries the backends in order (in use, then routing.fallback). A backend that fails before its first
   * token with a "cannot answer" error (no model, busy, unreachable, refused, failed) hands over to the
   * next; once text has streamed, or for a cancel/timeout/bad request, the error is the caller's. When
   * every backend failed, throws one UserError listing each backend's reason (`no_backend`, 503) — or
   * the single backend's own error when only one was tried.
   */
  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const failures: { ref: string; err: unknown }[] = [];
    const order = this.order();
    for (const ref of order) {
      let streamed = false;
      const onText = req.onText;
      const attempt: CompletionRequest = onText
        ? {
            ...req,
            onText: (t) => {
              streamed = true;
              onText(t);
            },
          }
        : req;
      try {
        if (ref === "local") return await this.local.complete(attempt);
        const result = await (this.remotes.get(remoteName(ref)) as RemoteBackend).complete(attempt);
        this.remoteTokens += result.completionTokens;
        return result;
      } catch (err) {
        if (streamed || req.signal?.aborted || !canFallBack(err)) throw err;
        failures.push({ ref, err });
        if (ref !== order[order.length - 1]) {
          this.logger?.warn(
            { backend: ref, reason: (err as Error).message },
            "backend could not answer; trying the next one",
          );
        }
      }
    }
    if (failures.length === 1) throw failures[0]?.err;
    throw new UserError(
      `no backend could answer: ${failures.map((f) => `${f.ref}: ${(f.err as Error).message}`).join("; ")}`,
      {
        code: ErrorCode.NO_BACKEND,
        status: 503,
        fix: "load a local model (`clawbox models use <id>`) or start the remote backend; see routing.fallback in the config",
      },
    );
  }

  countTokens(text: string): number {
    return this.local.countTokens(text);
  }

  stats(): InferenceStats {
    const local = this.local.stats();
    return { ...local, tokensGenerated: local.tokensGenerated + this.remoteTokens };
  }

  close(): Promise<void> {
    return this.local.close();
  }

  /** The backend in use first, then routing.fallback without it. */
  private order(): string[] {
    return [this.active, ...this.fallback.filter((ref) => ref !== this.active)];
  }
}

/**
 * The load spec of `remote:<name>` (what `clawbox models use remote:<name>` and POST /admin/model send), or
 * null for any other reference (a local model id or file). The numbers are unused: nothing is loaded.
 */
export function remoteLoadSpec(ref: string): ModelLoadSpec | null {
  if (!ref.startsWith("remote:")) return null;
  const name = remoteName(ref);
  return { path: ref, id: ref, remote: name, contextSize: 0, threads: 0, gpuLayers: 0 };
}

function remoteName(ref: string): string {
  return ref.startsWith("remote:") ? ref.slice("remote:".length) : ref;
}

function canFallBack(err: unknown): boolean {
  return !(err instanceof UserError) || FALLBACK_CODES.has(err.code);
}
