import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { AdapterHooks } from "../adapter-hooks.js";
import { SIGNATURE_HEADER, signedHeaders, TIMESTAMP_HEADER, verifySignature } from "../hmac-signature.js";
import {
  type AdapterContext,
  type BotIdentity,
  type ChannelAdapter,
  type ChannelCapabilities,
  type InboundMessage,
  type OutboundMessage,
  PermanentSendError,
  RateLimitedError,
} from "../types.js";

export interface WebhookConfig {
  type: "webhook";
  /** Shared HMAC-SHA256 key for both directions (secret). */
  secret: string;
  /** Where inbound requests are accepted. */
  listenHost: string;
  /** 0 = any free port (tests). */
  listenPort: number;
  /** Replies are POSTed here (signed). */
  outboundUrl: string;
  /** Largest reply piece, chars. Default 4000. */
  maxTextLength?: number;
}

/** Largest inbound body, bytes (a chat message, not a file upload). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Generic webhook bridge. Inbound: `POST /` with JSON `{id, chatId, senderId, text, senderName?, isDirect?,
 * mentionsBot?, threadId?, isBot?}`, headers `X-Clawbox-Timestamp` (unix s) and `X-Clawbox-Signature`
 * (`sha256=` HMAC over `<ts>.<body>`, ±5 min) → 202; bad or stale signature → 401. Outbound: `POST
 * outboundUrl` with `{chatId, text, threadId?, outboxId}`, signed the same way; the receiver answers 2xx
 * (optionally `{"id": "…"}`), 429 + Retry-After (s) to slow down, other 4xx to refuse (not retried),
 * 5xx/network errors are retried from the outbox. The receiver should deduplicate by `outboxId`.
 */
export class WebhookAdapter extends AdapterHooks<WebhookConfig> implements ChannelAdapter {
  readonly type = "webhook";
  readonly capabilities: ChannelCapabilities;
  private server: Server | undefined;
  private sent = 0;

  constructor(config: WebhookConfig, ctx: AdapterContext) {
    super(config, ctx);
    this.capabilities = {
      maxTextLength: config.maxTextLength ?? 4000,
      canEdit: false,
      canTyping: false,
      threads: true,
      format: "plain",
    };
  }

  /** Bound address after start (tests use port 0). */
  address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  selfId(): BotIdentity {
    return { id: `webhook:${this.id}` };
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.onRequest(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err: NodeJS.ErrnoException) =>
        reject(
          new UserError(
            `webhook bridge "${this.id}" cannot listen on ${this.config.listenHost}:${this.config.listenPort}: ${err.code ?? err.message}`,
            {
              code: ErrorCode.BRIDGE_LISTEN,
              fix: "choose a free listenPort or stop the program using it",
            },
          ),
        ),
      );
      server.listen(this.config.listenPort, this.config.listenHost, () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: object) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (req.method !== "POST") return reply(405, { error: "POST a signed JSON message" });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY_BYTES) return reply(413, { error: "body larger than 64 KiB" });
      chunks.push(c as Buffer);
    }
    const body = Buffer.concat(chunks).toString("utf8");
    const header = (n: string) => {
      const v = req.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    const problem = verifySignature(
      this.config.secret,
      header(TIMESTAMP_HEADER),
      header(SIGNATURE_HEADER),
      body,
    );
    if (problem) return reply(401, { error: problem });
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(body);
    } catch {
      return reply(400, { error: "body is not JSON" });
    }
    const str = (k: string) => (typeof msg[k] === "string" ? (msg[k] as string) : undefined);
    const id = str("id");
    const chatId = str("chatId");
    const text = str("text");
    if (!id || !chatId || text === undefined)
      return reply(400, { error: "id, chatId and text are required strings" });
    const inbound: InboundMessage = {
      id,
      chatId,
      senderId: str("senderId") ?? "",
      senderName: str("senderName"),
      isDirect: msg.isDirect !== false,
      mentionsBot: msg.mentionsBot !== false,
      isBot: msg.isBot === true,
      text,
      threadId: str("threadId"),
    };
    reply(202, { accepted: true });
    await this.handler?.(inbound);
  }

  async send(m: OutboundMessage): Promise<string> {
    const body = JSON.stringify({
      chatId: m.chatId,
      text: m.text,
      threadId: m.threadId,
      outboxId: m.outboxId,
    });
    let res: Response;
    try {
      res = await fetch(this.config.outboundUrl, {
        method: "POST",
        headers: { "content-type": "application/json", ...signedHeaders(this.config.secret, body) },
        body,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new Error(`webhook ${this.id}: POST to the outbound URL failed: ${(err as Error).message}`);
    }
    if (res.status === 429) {
      const after = Number(res.headers.get("retry-after") ?? "1");
      throw new RateLimitedError((Number.isFinite(after) ? after : 1) * 1000);
    }
    if (res.status >= 400 && res.status < 500)
      throw new PermanentSendError(`outbound URL refused the reply: HTTP ${res.status}`);
    if (!res.ok) throw new Error(`outbound URL answered HTTP ${res.status}`);
    const data = (await res.json().catch(() => ({}))) as { id?: unknown };
    return typeof data.id === "string" ? data.id : `${m.outboxId ?? "reply"}-${++this.sent}`;
  }
}
