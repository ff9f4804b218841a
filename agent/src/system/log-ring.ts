import { Writable } from "node:stream";

/** One structured log line as pino wrote it (parsed JSON). */
export type LogLine = Record<string, unknown> & { level: number; time: number; msg?: string };

/** pino's numeric levels (pino docs, "Logger levels"). */
export const LEVEL_NUMBERS: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/**
 * Keeps the agent's most recent log lines in memory for the dashboard's log view. It is a Writable that a
 * pino multistream writes JSON lines into (after redaction, so no secret reaches it). Capacity in lines.
 */
export class LogRing extends Writable {
  readonly #lines: LogLine[] = [];

  constructor(readonly capacity = 2000) {
    super();
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    for (const text of String(chunk).split("\n")) {
      if (!text.trim()) continue;
      try {
        this.#lines.push(JSON.parse(text) as LogLine);
      } catch {
        this.#lines.push({ level: 30, time: Date.now(), msg: text });
      }
    }
    if (this.#lines.length > this.capacity) this.#lines.splice(0, this.#lines.length - this.capacity);
    done();
  }

  /**
   * The newest lines first, at most `limit`, at `minLevel` ("info", "warn", …) or above, whose JSON text
   * contains `query` (case-insensitive) when given.
   */
  query(opts: { minLevel?: string; query?: string; limit?: number } = {}): LogLine[] {
    const min = LEVEL_NUMBERS[opts.minLevel ?? "trace"] ?? 0;
    const q = opts.query?.toLowerCase();
    const out: LogLine[] = [];
    for (let i = this.#lines.length - 1; i >= 0 && out.length < (opts.limit ?? 200); i--) {
      const line = this.#lines[i] as LogLine;
      if (line.level < min) continue;
      if (q && !JSON.stringify(line).toLowerCase().includes(q)) continue;
      out.push(line);
    }
    return out;
  }
}
