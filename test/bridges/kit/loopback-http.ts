import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

/** Which WebSocket upgrades an emulator takes, and what it does with an accepted socket. */
export interface UpgradeHandler {
  /** True to take the upgrade; false destroys the socket (a refused connection). */
  accept(req: IncomingMessage): boolean;
  onSocket(ws: WebSocket): void;
}

/**
 * An emulator's HTTP server on 127.0.0.1 (any free port), optionally taking WebSocket upgrades; tracks the
 * open sockets so `stop` (and tests cutting the connection) can end them.
 */
export class LoopbackHttp {
  readonly sockets = new Set<WebSocket>();

  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer | undefined,
  ) {}

  /** Starts listening; `handle` answers each HTTP request. */
  static async start(
    handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    upgrade?: UpgradeHandler,
  ): Promise<LoopbackHttp> {
    const server = createServer((req, res) => void handle(req, res));
    const wss = upgrade ? new WebSocketServer({ noServer: true }) : undefined;
    const http = new LoopbackHttp(server, wss);
    if (upgrade && wss) {
      server.on("upgrade", (req, socket, head) => {
        if (!upgrade.accept(req)) return void socket.destroy();
        wss.handleUpgrade(req, socket, head, (ws) => {
          http.sockets.add(ws);
          ws.on("close", () => http.sockets.delete(ws));
          upgrade.onSocket(ws);
        });
      });
    }
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return http;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Drops every WebSocket at once (no close handshake), as a network cut does. */
  terminateSockets(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  async stop(): Promise<void> {
    this.terminateSockets();
    this.wss?.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
