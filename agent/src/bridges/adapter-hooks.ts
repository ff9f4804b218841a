import type { AdapterContext, AdapterStatus, InboundHandler } from "./types.js";

/**
 * The base class of every bridge adapter. Each bridge is `<platform>/definition.ts` (its registry entry) +
 * `<platform>/adapter.ts` (its adapter, which extends this class and is constructed as
 * `new XAdapter(config, ctx)`). What all adapters hold the same way: the validated config entry, the context
 * the core gave it (bridge id, logger), and the two callbacks the core hands it (`onMessage`, `onStatus`), so
 * each adapter only calls `this.handler?.(msg)` / `this.statusHandler?.(status, err)`. `C` is the adapter's
 * config type.
 */
export abstract class AdapterHooks<C> {
  /** The bridge id (the key under `bridges:` in the config). */
  readonly id: string;
  protected handler: InboundHandler | undefined;
  protected statusHandler: ((status: AdapterStatus, error?: Error) => void) | undefined;

  constructor(
    protected readonly config: C,
    protected readonly ctx: AdapterContext,
  ) {
    this.id = ctx.id;
  }

  onMessage(handler: InboundHandler): void {
    this.handler = handler;
  }

  onStatus(handler: (status: AdapterStatus, error?: Error) => void): void {
    this.statusHandler = handler;
  }
}
