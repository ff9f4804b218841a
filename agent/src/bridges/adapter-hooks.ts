import type { AdapterStatus, InboundHandler } from "./types.js";

/**
 * The two callbacks the core hands every platform adapter (`onMessage`, `onStatus`), kept in one place so
 * each adapter only calls `this.handler?.(msg)` / `this.statusHandler?.(status, err)`.
 */
export abstract class AdapterHooks {
  protected handler: InboundHandler | undefined;
  protected statusHandler: ((status: AdapterStatus, error?: Error) => void) | undefined;

  onMessage(handler: InboundHandler): void {
    this.handler = handler;
  }

  onStatus(handler: (status: AdapterStatus, error?: Error) => void): void {
    this.statusHandler = handler;
  }
}
