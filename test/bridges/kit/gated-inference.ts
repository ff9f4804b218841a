import type {
  CompletionRequest,
  CompletionResult,
  InferenceService,
  LoadedModelInfo,
  ModelLoadSpec,
} from "../../../agent/src/inference/types.js";

/**
 * Wraps a real InferenceService (the test model): records each request and result, and can hold a
 * finished generation back (`hold()` … `release()`) so a test can cut the connection mid-reply.
 */
export class GatedInference implements InferenceService {
  readonly requests: CompletionRequest[] = [];
  readonly results: CompletionResult[] = [];
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};

  constructor(private readonly inner: InferenceService) {}

  get model(): LoadedModelInfo | null {
    return this.inner.model;
  }

  /** Replies generated from now on wait until `release()`. */
  hold(): void {
    this.gate = new Promise((r) => {
      this.open = r;
    });
  }

  release(): void {
    this.open();
  }

  load(spec: ModelLoadSpec): Promise<LoadedModelInfo> {
    return this.inner.load(spec);
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    this.requests.push(req);
    const result = await this.inner.complete(req);
    await this.gate;
    this.results.push(result);
    return result;
  }

  countTokens(text: string): number {
    return this.inner.countTokens(text);
  }

  stats() {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
