import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { AdapterHooks } from "../adapter-hooks.js";
import type {
  AdapterContext,
  BotIdentity,
  ChannelAdapter,
  ChannelCapabilities,
  OutboundMessage,
} from "../types.js";

export interface WebSocketChannelConfig {
  type: "websocket";
  /** Bearer token clients present (`Authorization: Bearer …` or `?token=`); secret. */
  token: string;
  listenHost: string;
  /** 0 = any free port (tests). */
  listenPort: number;
  /** Largest reply piece, chars. Default 8000. */
  maxTextLength?: number;
  /** Time a client has to acknowledge a reply before it is kept for redelivery, ms. Default 10 000. */
  ackTimeoutMs?: number;
}

/**
 * WebSocket channel: chat front-ends (a home page widget, a script) connect to `ws://host:port/` with the
 * token and speak JSON frames. Client → agent: `{"type":"message","id","chatId","senderId","text",
 * "senderName"?,"isDirect"?,"mentionsBot"?}`. Agent → client: `{"type":"reply","messageId","chatId","text",
 * "outboxId"}`, which the client acknowledges with `{"type":"ack","messageId"}`. A reply is sent to the
 * client that last wrote in that chat (else any client); without an ack within `ackTimeoutMs`, or with no
 * client connected, it stays in the outbox and is sent again when a client (re)connects — clients
 * deduplicate by `outboxId`. Unauthenticated upgrades get HTTP 401.
 */
export class WebSocketChannelAdapter extends AdapterHooks<WebSocketChannelConfig> implements ChannelAdapter {
  readonly type = "websocket";
  readonly capabilities: ChannelCapabilities;
  private server: WebSocketServer | undefined;
  private readonly chatClient = new Map<string, WebSocket>();
  private readonly waiting = new Map<
    string,
    { resolve: () => void; reject: (e: Error) => void; ws: WebSocket }
  >();
  private next = 0;

  constructor(config: WebSocketChannelConfig, ctx: AdapterContext) {
    super(config, ctx);
    this.capabilities = {
      maxTextLength: config.maxTextLength ?? 8000,
      canEdit: false,
      canTyping: false,
      threads: false,
      format: "markdown",
    };
  }

  address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  selfId(): BotIdentity {
    return { id: `websocket:${this.id}` };
  }

  private authorised(req: IncomingMessage): boolean {
    const header = req.headers.authorization?.replace(/^Bearer\s+/i, "");
    const query = new URL(req.url ?? "/", "http://x").searchParams.get("token") ?? undefined;
    const given = Buffer.from(header ?? query ?? "");
    const expected = Buffer.from(this.config.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  async start(): Promise<void> {
    const server = new WebSocketServer({
      host: this.config.listenHost,
      port: this.config.listenPort,
      maxPayload: 256 * 1024,
      verifyClient: (info, cb) =>
        this.authorised(info.req) ? cb(true) : cb(false, 401, "bad or missing token"),
    });
    await new Promise<void>((resolve, reject) => {
      server.once("listening", () => resolve());
      server.once("error", (err: NodeJS.ErrnoException) =>
        reject(
          new UserError(
            `websocket bridge "${this.id}" cannot listen on port ${this.config.listenPort}: ${err.code ?? err.message}`,
            {
              code: ErrorCode.BRIDGE_LISTEN,
              fix: "choose a free listenPort or stop the program using it",
            },
          ),
        ),
      );
    });
    server.on("connection", (ws) => this.onClient(ws));
    this.server = server;
  }

  private onClient(ws: WebSocket): void {
    ws.on("message", (data) => {
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(String(data));
      } catch {
        ws.send(JSON.stringify({ type: "error", error: "frames are JSON objects" }));
        return;
      }
      if (frame.type === "ack" && typeof frame.messageId === "string") {
        this.waiting.get(frame.messageId)?.resolve();
        this.waiting.delete(frame.messageId);
        return;
      }
      if (frame.type !== "message") return;
      const s = (k: string) => (typeof frame[k] === "string" ? (frame[k] as string) : undefined);
      const id = s("id");
      const chatId = s("chatId");
      const text = s("text");
      if (!id || !chatId || text === undefined) {
        ws.send(JSON.stringify({ type: "error", error: "message needs string id, chatId and text" }));
        return;
      }
      this.chatClient.set(chatId, ws);
      void this.handler?.({
        id,
        chatId,
        senderId: s("senderId") ?? "",
        senderName: s("senderName"),
        isDirect: frame.isDirect !== false,
        mentionsBot: frame.mentionsBot !== false,
        isBot: false,
        text,
      });
    });
    ws.on("close", () => {
      for (const [chat, c] of this.chatClient) if (c === ws) this.chatClient.delete(chat);
      for (const [id, w] of this.waiting) {
        if (w.ws === ws) {
          w.reject(new Error("client disconnected before acknowledging"));
          this.waiting.delete(id);
        }
      }
    });
    this.statusHandler?.("connected");
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const ws of server.clients) ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async send(m: OutboundMessage): Promise<string> {
    const open = (ws: WebSocket | undefined) => ws && ws.readyState === ws.OPEN;
    let ws = this.chatClient.get(m.chatId);
    if (!open(ws)) ws = [...(this.server?.clients ?? [])].find((c) => open(c));
    if (!ws) throw new Error("no websocket client connected");
    const client = ws;
    const messageId = `${this.id}-${Date.now().toString(36)}-${++this.next}`;
    const acked = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(messageId);
        reject(new Error("client did not acknowledge the reply in time"));
      }, this.config.ackTimeoutMs ?? 10_000);
      this.waiting.set(messageId, {
        ws: client,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
    client.send(
      JSON.stringify({ type: "reply", messageId, chatId: m.chatId, text: m.text, outboxId: m.outboxId }),
    );
    await acked;
    return messageId;
  }
}
