import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small emulator of signal-cli's HTTP daemon (`signal-cli [-a ACCOUNT] daemon --http`, man
 * signal-cli-jsonrpc(5)): `GET /api/v1/check` (200), `GET /api/v1/events` (SSE: `id:`, `event:receive`,
 * `data:{"envelope":…,"account":…}`, `:` keep-alives; the last 1000 events are kept and replayed after a
 * `Last-Event-ID`, all of them for an unknown id), `POST /api/v1/rpc` (JSON-RPC 2.0: `send` with recipient
 * or groupId and optional editTimestamp → `{timestamp, results}`, `sendTyping`, `listAccounts` only in
 * multi-account mode, otherwise -32601 "Method not implemented"; an unknown `account` param → -32602
 * "Specified account does not exist"; an unknown recipient → -1 "Unregistered user").
 *
 * Fidelity limits: text only (no attachments, receipts or sync messages), no JSON-RPC batches, one bot
 * account served; rate limits and cuts only when scripted with `failNext`.
 */

/** A Signal user the test plays. */
export interface SignalUser {
  uuid: string;
  number: string;
  name?: string;
}

/** A message the bot sent (latest text after edits). */
export interface SentSignalMessage {
  /** Recipient uuid/number, or `group:<id>`. */
  to: string;
  timestamp: number;
  text: string;
  history: string[];
}

type Fault =
  | { kind: "rate-limit"; retryAfterSeconds?: number }
  | { kind: "io-error" }
  /** The connection is destroyed before the request is handled (nothing sent). */
  | { kind: "cut-before" }
  /** The message is sent, then the connection is destroyed before the answer (answer lost). */
  | { kind: "cut-after" };

type Json = Record<string, unknown>;

export class SignalCliEmulator {
  readonly account: string;
  readonly aci = "0b7c4b2e-5a61-4c1a-9d63-1f2a3b4c5d6e";
  readonly sent: SentSignalMessage[] = [];
  readonly typing: { to: string; stop: boolean }[] = [];
  readonly calls = new Map<string, number>();
  private server: Server | undefined;
  private readonly events: { id: string; data: string }[] = [];
  private nextEventId = 1;
  /** Event ids stay unique across daemon restarts, so a stale Last-Event-ID is "unknown", not misread. */
  private readonly idPrefix = `${randomBytes(4).toString("hex")}-`;
  private lastTimestamp = 0;
  private readonly streams = new Set<ServerResponse>();
  private readonly users = new Map<string, SignalUser>();
  private readonly faults = new Map<string, Fault[]>();
  private streamsHeld = false;

  /**
   * `mode: "multi"` emulates `signal-cli daemon --http` without `-a` (listAccounts answers, `account` param
   * required); "single" emulates `-a ACCOUNT daemon --http`. `registered: false` leaves the account out of
   * listAccounts (multi mode), as for a number never registered or linked.
   */
  constructor(readonly opts: { account?: string; mode?: "single" | "multi"; registered?: boolean } = {}) {
    this.account = opts.account ?? "+4915100000001";
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return this.url;
  }

  get url(): string {
    const a = this.server?.address() as AddressInfo | null;
    if (!a) throw new Error("emulator not started");
    return `http://127.0.0.1:${a.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  /** Drops every open event stream (the network cut); events meanwhile are kept for Last-Event-ID. */
  dropStreams(): void {
    for (const res of this.streams) res.socket?.destroy();
    this.streams.clear();
  }

  /**
   * While held, new event-stream requests get HTTP 503 (the daemon restarting, the link still down), so a
   * dropped stream stays down until `releaseStreams()`.
   */
  holdStreams(): void {
    this.streamsHeld = true;
  }

  releaseStreams(): void {
    this.streamsHeld = false;
  }

  /** Number of currently open event streams. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Scripts the next call of JSON-RPC `method` to fail. */
  failNext(method: string, fault: Fault): void {
    this.faults.set(method, [...(this.faults.get(method) ?? []), fault]);
  }

  /** A user sends a text message to the bot (DM, or to `groupId` with optional bot mention). */
  userSends(from: SignalUser, text: string, opts: { groupId?: string; mentionBot?: boolean } = {}): number {
    this.users.set(from.uuid, from);
    this.users.set(from.number, from);
    const timestamp = this.timestamp();
    const mentions = opts.mentionBot
      ? [{ name: this.account, number: this.account, uuid: this.aci, start: 0, length: 1 }]
      : [];
    const envelope = {
      source: from.number,
      sourceNumber: from.number,
      sourceUuid: from.uuid,
      sourceName: from.name ?? "User",
      sourceDevice: 1,
      timestamp,
      serverReceivedTimestamp: timestamp,
      serverDeliveredTimestamp: timestamp,
      dataMessage: {
        timestamp,
        message: opts.mentionBot ? `\uFFFC ${text}` : text,
        expiresInSeconds: 0,
        viewOnce: false,
        mentions,
        attachments: [],
        contacts: [],
        ...(opts.groupId
          ? { groupInfo: { groupId: opts.groupId, groupName: "Group", type: "DELIVER" } }
          : {}),
      },
    };
    this.emit({ envelope, account: this.account });
    return timestamp;
  }

  /** Pushes a non-message envelope (typing, receipt) as signal-cli does, to check it is ignored. */
  userTypes(from: SignalUser): void {
    this.emit({
      envelope: {
        source: from.number,
        sourceNumber: from.number,
        sourceUuid: from.uuid,
        timestamp: this.timestamp(),
        typingMessage: { action: "STARTED", timestamp: Date.now() },
      },
      account: this.account,
    });
  }

  /** Messages the bot sent to a uuid/number or `group:<id>`, in order. */
  sentTo(to: string): SentSignalMessage[] {
    return this.sent.filter((m) => m.to === to);
  }

  private timestamp(): number {
    this.lastTimestamp = Math.max(Date.now(), this.lastTimestamp + 1);
    return this.lastTimestamp;
  }

  private emit(payload: Json): void {
    const event = { id: `${this.idPrefix}${this.nextEventId++}`, data: JSON.stringify(payload) };
    this.events.push(event);
    if (this.events.length > 1000) this.events.shift();
    for (const res of this.streams) writeEvent(res, event);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/api/v1/check" && req.method === "GET") return void res.writeHead(200).end();
    if (path === "/api/v1/events" && req.method === "GET") return this.openStream(req, res);
    if (path === "/api/v1/rpc" && req.method === "POST") return this.rpc(req, res);
    res.writeHead(404).end();
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    if (this.streamsHeld) return void res.writeHead(503).end();
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(":\n");
    const last = req.headers["last-event-id"];
    const after = this.events.findIndex((e) => e.id === last);
    for (const e of this.events.slice(after + 1)) writeEvent(res, e);
    this.streams.add(res);
    res.on("close", () => this.streams.delete(res));
  }

  private async rpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = "";
    for await (const c of req) body += c;
    let request: { id?: unknown; method?: string; params?: Json };
    try {
      request = JSON.parse(body);
    } catch {
      return answer(res, null, { error: { code: -32700, message: "Parse error" } });
    }
    const id = request.id ?? null;
    const method = request.method ?? "";
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const fault = this.faults.get(method)?.shift();
    if (fault?.kind === "cut-before") return void req.socket.destroy();
    const params = { ...(request.params ?? {}) };
    const multi = this.opts.mode !== "single";
    if (method === "listAccounts") {
      if (!multi) return answer(res, id, { error: { code: -32601, message: "Method not implemented" } });
      const list = this.opts.registered === false ? [] : [{ number: this.account, aci: this.aci }];
      return answer(res, id, { result: list });
    }
    if (multi) {
      if (params.account !== this.account || this.opts.registered === false) {
        const message = params.account
          ? "Specified account does not exist"
          : "Method requires valid account parameter";
        return answer(res, id, { error: { code: -32602, message } });
      }
    }
    if (fault?.kind === "rate-limit") {
      const results = [{ type: "RATE_LIMIT_FAILURE", retryAfterSeconds: fault.retryAfterSeconds ?? 0 }];
      return answer(res, id, {
        error: {
          code: -5,
          message: "Failed to send message due to rate limiting",
          data: { response: { timestamp: this.timestamp(), results } },
        },
      });
    }
    if (fault?.kind === "io-error") {
      return answer(res, id, { error: { code: -3, message: "Failed to send message: connection reset" } });
    }
    const to =
      typeof params.groupId === "string" ? `group:${params.groupId}` : firstRecipient(params.recipient);
    if (method === "sendTyping" || method === "send") {
      if (!to) return answer(res, id, { error: { code: -1, message: "No recipients given" } });
      if (!to.startsWith("group:") && !this.users.has(to)) {
        return answer(res, id, { error: { code: -1, message: `Unregistered user "${to}"` } });
      }
    }
    if (method === "sendTyping") {
      this.typing.push({ to: to ?? "", stop: params.stop === true });
      return answer(res, id, { result: {} });
    }
    if (method === "send") {
      const text = typeof params.message === "string" ? params.message : "";
      const editOf = Number(params.editTimestamp);
      const timestamp = this.timestamp();
      if (Number.isFinite(editOf) && params.editTimestamp !== undefined) {
        const original = this.sent.find((m) => m.to === to && m.timestamp === editOf);
        if (!original) return answer(res, id, { error: { code: -1, message: "Message to edit not found" } });
        original.text = text;
        original.history.push(text);
      } else {
        this.sent.push({ to: to ?? "", timestamp, text, history: [text] });
      }
      if (fault?.kind === "cut-after") return void req.socket.destroy();
      const user = to ? this.users.get(to) : undefined;
      const results = [{ recipientAddress: { uuid: user?.uuid, number: user?.number }, type: "SUCCESS" }];
      return answer(res, id, { result: { timestamp, results } });
    }
    return answer(res, id, { error: { code: -32601, message: "Method not implemented" } });
  }
}

function firstRecipient(r: unknown): string | undefined {
  const v = Array.isArray(r) ? r[0] : r;
  return typeof v === "string" ? v : undefined;
}

function writeEvent(res: ServerResponse, e: { id: string; data: string }): void {
  res.write(`id:${e.id}\nevent:receive\ndata:${e.data}\n\n`);
}

function answer(res: ServerResponse, id: unknown, body: Json): void {
  res
    .writeHead(200, { "content-type": "application/json" })
    .end(JSON.stringify({ jsonrpc: "2.0", ...body, id }));
}
