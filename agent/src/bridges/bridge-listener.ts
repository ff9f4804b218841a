import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { BridgeLogger } from "./types.js";

/**
 * `host:port` → id of the bridge listening there in this process. The dashboard's "test connection" of a
 * running bridge builds a second adapter with the same id: it checks the platform API and skips listening
 * instead of failing on its own bridge's port. A different bridge on the port still fails.
 */
const listening = new Map<string, string>();

export interface BridgeListenerOptions {
  bridgeId: string;
  /** Platform name for messages and logs, e.g. "WeCom". */
  platform: string;
  host: string;
  /** 0 = any free port (tests). */
  port: number;
  log: BridgeLogger;
  /** Handles one request; a rejection is logged and answered 400 when nothing was sent yet. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/**
 * The HTTP listener of a bridge that platforms call (webhooks, callbacks) behind the owner's reverse proxy.
 */
export class BridgeListener {
  private constructor(
    private readonly server: Server,
    private readonly key: string | undefined,
    private readonly bridgeId: string,
  ) {}

  /**
   * Listens on host:port. Resolves undefined when this same bridge id already listens there in this process
   * (a connection test of a running bridge: probe only). Throws UserError `bridge_listen` when the port
   * is taken by something else.
   */
  static async open(opts: BridgeListenerOptions): Promise<BridgeListener | undefined> {
    const key = `${opts.host}:${opts.port}`;
    if (opts.port !== 0 && listening.get(key) === opts.bridgeId) {
      opts.log.debug({ bridge: opts.bridgeId }, `${opts.platform} port held by this bridge: probe only`);
      return undefined;
    }
    const server = createServer((req, res) => {
      // A request cut while its body streams must not become an unhandled rejection.
      opts.handle(req, res).catch((err: unknown) => {
        opts.log.warn({ bridge: opts.bridgeId, err: String(err) }, `${opts.platform} request failed`);
        if (!res.headersSent) res.writeHead(400).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err: NodeJS.ErrnoException) =>
        reject(
          new UserError(
            `${opts.platform} bridge "${opts.bridgeId}" cannot listen on ${key}: ${err.code ?? err.message}`,
            { code: ErrorCode.BRIDGE_LISTEN, fix: "Choose a free listenPort or stop the program using it." },
          ),
        ),
      );
      server.listen(opts.port, opts.host, () => resolve());
    });
    if (opts.port !== 0) listening.set(key, opts.bridgeId);
    return new BridgeListener(server, opts.port !== 0 ? key : undefined, opts.bridgeId);
  }

  /** Bound address (tests use port 0). */
  address(): AddressInfo | undefined {
    return (this.server.address() as AddressInfo | null) ?? undefined;
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    if (this.key && listening.get(this.key) === this.bridgeId) listening.delete(this.key);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
