import { describeError } from "../errors.js";
import type { DownloadProgress } from "../models/download.js";
import type { PullOptions, StoredModel } from "../models/store.js";

/** What the pull needs from the model store (ModelStore.pull). */
export type Puller = (ref: string, opts: PullOptions) => Promise<StoredModel>;

/** The state of the one model download the web app follows (wizard step 6, dashboard models). */
export interface DownloadState {
  /** Catalogue id, hf: URI or URL being pulled; null before the first pull. */
  ref: string | null;
  status: "idle" | "running" | "done" | "cancelled" | "error";
  progress: DownloadProgress | null;
  /** Error message (with fix) when status is "error". */
  error: string | null;
  /** The stored file when done. */
  model: StoredModel | null;
}

/**
 * Runs at most one model pull at a time and broadcasts its state to listeners (the SSE routes). The state
 * lives in the agent, not the page, so a reloaded page picks the download up where it is; cancel() aborts
 * and keeps the partial file, start() with the same ref resumes it (ModelStore.pull resumes `.partial`).
 */
export class ModelDownloads {
  #state: DownloadState = { ref: null, status: "idle", progress: null, error: null, model: null };
  #abort: AbortController | null = null;
  #running: Promise<void> | null = null;
  readonly #listeners = new Set<(s: DownloadState) => void>();

  constructor(
    private readonly pull: Puller,
    /** Called with the stored model when a pull finishes (e.g. load it). */
    private readonly onDone: (model: StoredModel, ref: string) => Promise<void> | void = () => {},
  ) {}

  /** The current state (a copy). */
  state(): DownloadState {
    return structuredClone(this.#state);
  }

  /** Calls `fn` on every change (progress at most as often as the store reports it); returns unsubscribe. */
  subscribe(fn: (s: DownloadState) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #set(change: Partial<DownloadState>): void {
    this.#state = { ...this.#state, ...change };
    const copy = this.state();
    for (const fn of this.#listeners) fn(copy);
  }

  /**
   * Starts (or resumes) pulling `ref`. While another ref is running the call is refused with false; the
   * same ref already running is a no-op returning true (a double click starts one download).
   */
  start(ref: string): boolean {
    if (this.#state.status === "running") return this.#state.ref === ref;
    const abort = new AbortController();
    this.#abort = abort;
    this.#set({
      ref,
      status: "running",
      error: null,
      model: null,
      progress: this.#state.ref === ref ? this.#state.progress : null,
    });
    this.#running = (async () => {
      try {
        const model = await this.pull(ref, {
          signal: abort.signal,
          onProgress: (progress) => this.#set({ progress }),
        });
        await this.onDone(model, ref);
        this.#set({ status: "done", model });
      } catch (err) {
        if (abort.signal.aborted) this.#set({ status: "cancelled" });
        else this.#set({ status: "error", error: describeError(err) });
      } finally {
        this.#abort = null;
      }
    })();
    return true;
  }

  /** Aborts the running pull (the partial file stays for resume); resolves when it has stopped. */
  async cancel(): Promise<void> {
    this.#abort?.abort();
    await this.#running;
  }

  /** Resolves when the current pull (if any) has ended. */
  async settled(): Promise<void> {
    await this.#running;
  }
}
