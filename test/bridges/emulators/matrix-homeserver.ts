import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small emulator of the Matrix client-server API (spec v1.x, https://spec.matrix.org/latest/client-server-api/),
 * covering what matrix-js-sdk 37.5 and the clawbox Matrix adapter use: /versions, login (m.login.password),
 * account/whoami, capabilities, pushrules, user filters, /sync (initial state + timeline, then long polling
 * with `since` tokens), PUT rooms/{id}/send/{type}/{txnId} (idempotent per access token and txnId, as the spec
 * requires), PUT rooms/{id}/typing/{user}, 401 M_UNKNOWN_TOKEN, scripted 429 M_LIMIT_EXCEEDED with
 * `retry_after_ms`, and connection cuts. Edits are ordinary events with an `m.replace` relation; the emulator
 * applies them to its record of the original message.
 *
 * Fidelity limits: no federation, no encryption (to-device/keys endpoints answer M_UNRECOGNIZED), rooms are
 * set up by the test (no createRoom/join/invite), filters are accepted and ignored, no presence/receipts.
 */

export interface MatrixRoomSetup {
  roomId: string;
  /** Joined members including the bot. Two members = a DM. */
  members: string[];
}

export interface SentMatrixMessage {
  roomId: string;
  eventId: string;
  txnId: string;
  body: string;
  /** Bodies after each m.replace edit, first the original. */
  history: string[];
}

type Json = Record<string, unknown>;
type Fault = { kind: "429"; retryAfterMs: number } | { kind: "cut-before" } | { kind: "cut-after" };

interface LoggedEvent {
  pos: number;
  roomId: string;
  event: Json;
}

export class MatrixHomeserverEmulator {
  readonly serverName = "emulated.test";
  readonly botUserId = "@clawbox:emulated.test";
  readonly botPassword = "correct horse";
  readonly accessToken = "syt_emulated_token";
  readonly deviceId = "EMUDEVICE";
  readonly sent: SentMatrixMessage[] = [];
  readonly typing: { roomId: string; typing: boolean }[] = [];
  readonly calls = new Map<string, number>();
  /** Paths the emulator did not implement (to see what a library version needs). */
  readonly unknownPaths = new Set<string>();
  private server: Server | undefined;
  private readonly rooms: MatrixRoomSetup[];
  private readonly log: LoggedEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly txns = new Map<string, string>();
  private counter = 0;

  constructor(rooms: MatrixRoomSetup[]) {
    this.rooms = rooms;
  }

  /** Starts on 127.0.0.1:0; resolves to the homeserver base URL for matrix-js-sdk's `baseUrl`. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return this.baseUrl;
  }

  get baseUrl(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error("emulator not started");
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    for (const wake of this.waiters) wake();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Drops every open connection, including the pending /sync long poll (a network cut). */
  cutConnections(): void {
    this.server?.closeAllConnections();
  }

  /** Scripts the next call of an endpoint kind: "send", "typing", "sync". */
  failNext(kind: "send" | "typing" | "sync", fault: Fault): void {
    const list = this.faults.get(kind) ?? [];
    list.push(fault);
    this.faults.set(kind, list);
  }

  /** A user posts an m.text message into a room; returns its event id. */
  userSends(roomId: string, sender: string, body: string, extra: Json = {}): string {
    const eventId = this.eventId();
    this.append(roomId, {
      type: "m.room.message",
      sender,
      event_id: eventId,
      origin_server_ts: Date.now(),
      content: { msgtype: "m.text", body, ...extra },
      unsigned: { age: 0 },
    });
    return eventId;
  }

  sentTo(roomId: string): SentMatrixMessage[] {
    return this.sent.filter((m) => m.roomId === roomId);
  }

  private eventId(): string {
    this.counter += 1;
    return `$ev${this.counter}:${this.serverName}`;
  }

  private append(roomId: string, event: Json): void {
    this.log.push({ pos: this.log.length + 1, roomId, event });
    for (const wake of this.waiters) wake();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    // Match on the raw path: path parameters (room ids, txnIds with "/") are percent-encoded by the client.
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (method === "OPTIONS") return json(res, 200, {});
    if (path === "/_matrix/client/versions") {
      return json(res, 200, { versions: ["v1.1", "v1.5", "v1.9", "v1.11"], unstable_features: {} });
    }
    const body = await readJson(req);
    if (path === "/_matrix/client/v3/login") {
      if (method === "GET") return json(res, 200, { flows: [{ type: "m.login.password" }] });
      const identifier = (body.identifier ?? {}) as Json;
      const user = String(identifier.user ?? body.user ?? "");
      const ok = (user === this.botUserId || user === "clawbox") && body.password === this.botPassword;
      if (!ok) return json(res, 403, { errcode: "M_FORBIDDEN", error: "Invalid username or password" });
      return json(res, 200, {
        user_id: this.botUserId,
        access_token: this.accessToken,
        device_id: this.deviceId,
      });
    }
    const token =
      (req.headers.authorization ?? "").replace(/^Bearer /, "") || url.searchParams.get("access_token");
    if (token !== this.accessToken) {
      return json(res, 401, {
        errcode: "M_UNKNOWN_TOKEN",
        error: "Invalid access token passed.",
        soft_logout: false,
      });
    }
    const kind = /\/send\//.test(path)
      ? "send"
      : /\/typing\//.test(path)
        ? "typing"
        : path.endsWith("/sync")
          ? "sync"
          : "";
    this.calls.set(kind || path, (this.calls.get(kind || path) ?? 0) + 1);
    const fault = kind ? this.faults.get(kind)?.shift() : undefined;
    if (fault?.kind === "cut-before") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "429") {
      return json(res, 429, {
        errcode: "M_LIMIT_EXCEEDED",
        error: "Too Many Requests",
        retry_after_ms: fault.retryAfterMs,
      });
    }
    const send = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/send\/([^/]+)\/([^/]+)$/.exec(path);
    const typing = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/typing\/([^/]+)$/.exec(path);
    if (path === "/_matrix/client/v3/account/whoami") {
      return json(res, 200, { user_id: this.botUserId, device_id: this.deviceId, is_guest: false });
    }
    if (path === "/_matrix/client/v3/capabilities") {
      return json(res, 200, { capabilities: { "m.change_password": { enabled: false } } });
    }
    if (path.startsWith("/_matrix/client/v3/pushrules")) return json(res, 200, { global: {} });
    if (/^\/_matrix\/client\/v3\/user\/[^/]+\/filter$/.test(path)) return json(res, 200, { filter_id: "1" });
    if (path === "/_matrix/client/v3/sync") return this.sync(req, res, url);
    if (send && method === "PUT") {
      const [roomId = "", type = "", txnId = ""] = send.slice(1, 4).map((p) => decodeURIComponent(p ?? ""));
      const key = `${token}|${txnId}`;
      let eventId = this.txns.get(key);
      if (!eventId) {
        eventId = this.eventId();
        this.txns.set(key, eventId);
        this.record(roomId, type, txnId, eventId, body);
        this.append(roomId, {
          type,
          sender: this.botUserId,
          event_id: eventId,
          origin_server_ts: Date.now(),
          content: body,
          unsigned: { transaction_id: txnId },
        });
      }
      if (fault?.kind === "cut-after") {
        req.socket.destroy();
        return;
      }
      return json(res, 200, { event_id: eventId });
    }
    if (typing && method === "PUT") {
      this.typing.push({ roomId: decodeURIComponent(typing[1] ?? ""), typing: body.typing === true });
      return json(res, 200, {});
    }
    this.unknownPaths.add(`${method} ${path}`);
    return json(res, 404, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
  }

  private record(roomId: string, type: string, txnId: string, eventId: string, content: Json): void {
    if (type !== "m.room.message") return;
    const relates = content["m.relates_to"] as Json | undefined;
    const replaced =
      relates?.rel_type === "m.replace" ? this.sent.find((s) => s.eventId === relates.event_id) : undefined;
    if (replaced) {
      const body = String(((content["m.new_content"] ?? {}) as Json).body ?? "");
      replaced.body = body;
      replaced.history.push(body);
      return;
    }
    const body = String(content.body ?? "");
    this.sent.push({ roomId, eventId, txnId, body, history: [body] });
  }

  private async sync(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const since = url.searchParams.get("since");
    const timeoutMs = Number(url.searchParams.get("timeout") ?? 0);
    const from = since === null ? 0 : Number(since);
    if (since !== null && this.log.length <= from && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(timeoutMs, 30_000));
        this.waiters.add(wake);
        req.socket.once("close", wake);
      });
    }
    if (res.destroyed || req.socket.destroyed) return;
    const join: Json = {};
    for (const room of this.rooms) {
      const events = this.log.filter((e) => e.pos > from && e.roomId === room.roomId).map((e) => e.event);
      if (since !== null && events.length === 0) continue;
      join[room.roomId] = {
        timeline: { events, limited: false, prev_batch: `p${from}` },
        state: { events: since === null ? this.roomState(room) : [] },
        ephemeral: { events: [] },
        account_data: { events: [] },
        unread_notifications: { highlight_count: 0, notification_count: 0 },
        summary:
          since === null ? { "m.joined_member_count": room.members.length, "m.invited_member_count": 0 } : {},
      };
    }
    return json(res, 200, {
      next_batch: String(this.log.length),
      rooms: { join, invite: {}, leave: {} },
      presence: { events: [] },
      account_data: { events: [] },
      to_device: { events: [] },
      device_lists: { changed: [], left: [] },
      device_one_time_keys_count: {},
    });
  }

  private roomState(room: MatrixRoomSetup): Json[] {
    const creator = room.members[0] ?? this.botUserId;
    const base = { origin_server_ts: Date.now() - 60_000, unsigned: { age: 60_000 } };
    return [
      {
        ...base,
        type: "m.room.create",
        state_key: "",
        sender: creator,
        event_id: this.eventId(),
        content: { creator, room_version: "10" },
      },
      ...room.members.map((member) => ({
        ...base,
        type: "m.room.member",
        state_key: member,
        sender: member,
        event_id: this.eventId(),
        content: { membership: "join", displayname: member.slice(1).split(":")[0] },
      })),
    ];
  }
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text) return {};
  try {
    return JSON.parse(text) as Json;
  } catch {
    return {};
  }
}

async function json(res: ServerResponse, status: number, body: unknown): Promise<void> {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", "access-control-allow-origin": "*" });
  res.end(JSON.stringify(body));
}
