/** Types shared by a command's registration (start.ts) and its lazily imported run module (start-run.ts). */

/** Options of `clawbox start`, as commander parses them (see start.ts for each flag). */
export interface StartFlags {
  config?: string;
  model?: string;
  port?: number;
  host?: string;
  dataDir?: string;
  threads?: number;
  contextSize?: number;
}
