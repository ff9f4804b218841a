import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import protobuf from "protobufjs";
import type { WebSocket } from "ws";
import { LoopbackHttp } from "../kit/loopback-http.js";

/**
 * A small emulator of the Feishu / Lark open platform for the official @larksuiteoapi/node-sdk:
 * - Long connection, as the SDK's WSClient speaks it (read from its source): `POST /callback/ws/endpoint`
 *   `{AppID, AppSecret}` → `{code:0, data:{URL, ClientConfig}}` (a wrong secret → code 514 "auth failed");
 *   the wss URL carries `device_id` and `service_id`; frames are protobuf `pbbp2.Frame` (SeqID, LogID,
 *   service, method 0 control / 1 data, headers, payload). Client pings (control, type ping) get a pong with
 *   the ClientConfig; an event is a data frame (type event, message_id, sum 1, seq 0, trace_id) whose
 *   payload is the v2 event JSON; the client acks by echoing the frame with payload `{"code":200}`. Events
 *   not acked are pushed again when the app connects again (Feishu retries unacknowledged events).
 * - REST: `tenant_access_token/internal` (10014 for a wrong secret), `bot/v3/info`, `im/v1/messages`
 *   (create, `?receive_id_type=chat_id`), `im/v1/messages/:id/reply`, `PUT im/v1/messages/:id` (update,
 *   text only here). `uuid` dedups a send for an hour: the same message comes back. Bodies over 150 KB →
 *   230025. Scripted faults: 429 + 99991400 with `x-ogw-ratelimit-reset`, a cut before or after the send.
 *
 * Fidelity limits: text messages only, no cards, no encryption of events (an encrypt key is optional in
 * long-connection mode), one app, no edit-count limit.
 */

const root = protobuf.Root.fromJSON({
  nested: {
    pbbp2: {
      nested: {
        Header: {
          fields: {
            key: { type: "string", id: 1, rule: "required" },
            value: { type: "string", id: 2, rule: "required" },
          },
        },
        Frame: {
          fields: {
            SeqID: { type: "uint64", id: 1, rule: "required" },
            LogID: { type: "uint64", id: 2, rule: "required" },
            service: { type: "int32", id: 3, rule: "required" },
            method: { type: "int32", id: 4, rule: "required" },
            headers: { type: "Header", id: 5, rule: "repeated" },
            payloadEncoding: { type: "string", id: 6 },
            payloadType: { type: "string", id: 7 },
            payload: { type: "bytes", id: 8 },
            LogIDNew: { type: "string", id: 9 },
          },
        },
      },
    },
  },
});
const Frame = root.lookupType("pbbp2.Frame");

interface FrameObject {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: { key: string; value: string }[];
  payload?: Uint8Array;
}

type Fault =
  | { kind: "rate-limit"; resetSeconds: number }
  | { kind: "cut-before" }
  /** The message is sent, then the connection drops before the answer. */
  | { kind: "cut-after" };

export interface SentFeishuMessage {
  messageId: string;
  chatId: string;
  text: string;
  /** Message this one replies to. */
  replyTo?: string;
  edits: number;
}

const MAX_BODY = 150 * 1024;
const SERVICE_ID = 33554678;

export class FeishuOpenPlatformEmulator {
  readonly appId = "cli_a1b2c3d4e5f60718";
  readonly appSecret = "feishu-app-secret-0123456789";
  readonly botOpenId = "ou_bot0000000000000000000000000001";
  readonly sent: SentFeishuMessage[] = [];
  readonly calls = new Map<string, number>();
  /** Events acked by the client, by event id. */
  readonly acked = new Set<string>();
  private http: LoopbackHttp | undefined;
  private readonly tokens = new Set<string>();
  private readonly uuids = new Map<string, string>();
  private readonly unacked = new Map<string, Buffer>();
  private readonly faults: Fault[] = [];
  /** When true, new long connections are refused (the network is down for the app). */
  refuseConnections = false;
  private seq = 1;

  async start(): Promise<string> {
    this.http = await LoopbackHttp.start((req, res) => this.handle(req, res), {
      accept: (req) => {
        const url = new URL(req.url ?? "/", "http://x");
        return (
          url.pathname === "/ws" &&
          !this.refuseConnections &&
          url.searchParams.get("service_id") === String(SERVICE_ID)
        );
      },
      onSocket: (ws) => this.accept(ws),
    });
    return this.baseUrl;
  }

  get baseUrl(): string {
    if (!this.http) throw new Error("emulator not started");
    return this.http.url;
  }

  async stop(): Promise<void> {
    await this.http?.stop();
    this.http = undefined;
  }

  /** Scripts the next message send (create or reply) to fail. */
  failNext(fault: Fault): void {
    this.faults.push(fault);
  }

  /** Open long connections. */
  get connections(): number {
    return this.http?.sockets.size ?? 0;
  }

  /** Drops every long connection (the SDK reconnects after ReconnectInterval). */
  dropConnections(): void {
    this.http?.terminateSockets();
  }

  /** Final texts in a chat, in order. */
  sentTo(chatId: string): SentFeishuMessage[] {
    return this.sent.filter((m) => m.chatId === chatId);
  }

  /**
   * A user writes: pushes `im.message.receive_v1` over every long connection (or keeps it until one
   * connects). Resolves with the message id. `mention` adds an @bot mention (groups).
   */
  userSends(
    user: { openId: string; unionId: string },
    chat: { id: string; type: "p2p" | "group" },
    text: string,
    opts: { mention?: boolean; senderType?: "user" | "app" } = {},
  ): string {
    const messageId = `om_${randomBytes(12).toString("hex")}`;
    const eventId = randomBytes(16).toString("hex");
    const mentions = opts.mention
      ? [
          {
            key: "@_user_1",
            id: { open_id: this.botOpenId, union_id: "on_bot", user_id: "" },
            name: "Clawbox",
            tenant_key: "t1",
          },
        ]
      : [];
    const event = {
      schema: "2.0",
      header: {
        event_id: eventId,
        token: "",
        create_time: String(Date.now()),
        event_type: "im.message.receive_v1",
        tenant_key: "t1",
        app_id: this.appId,
      },
      event: {
        sender: {
          sender_id: { open_id: user.openId, union_id: user.unionId, user_id: "u1" },
          sender_type: opts.senderType ?? "user",
          tenant_key: "t1",
        },
        message: {
          message_id: messageId,
          create_time: String(Date.now()),
          update_time: String(Date.now()),
          chat_id: chat.id,
          chat_type: chat.type,
          message_type: "text",
          content: JSON.stringify({ text: opts.mention ? `@_user_1 ${text}` : text }),
          mentions,
        },
      },
    };
    const frame = Buffer.from(
      Frame.encode(
        Frame.fromObject({
          SeqID: this.seq++,
          LogID: this.seq,
          service: SERVICE_ID,
          method: 1,
          headers: [
            { key: "type", value: "event" },
            { key: "message_id", value: eventId },
            { key: "sum", value: "1" },
            { key: "seq", value: "0" },
            { key: "trace_id", value: randomBytes(8).toString("hex") },
          ],
          payload: Buffer.from(JSON.stringify(event)),
        }),
      ).finish(),
    );
    this.unacked.set(eventId, frame);
    this.userChats.set(messageId, chat.id);
    for (const ws of this.http?.sockets ?? []) ws.send(frame);
    return messageId;
  }

  private accept(ws: WebSocket): void {
    let greeted = false;
    // Only what was pending before this connection opened is pushed again (events sent on it since are not
    // redelivered at once: Feishu retries an unacknowledged event after a while, not immediately).
    const missed = new Set(this.unacked.keys());
    ws.on("message", (data: Buffer) => {
      const f = Frame.toObject(Frame.decode(data), { longs: Number, bytes: Buffer }) as FrameObject;
      const type = f.headers.find((h) => h.key === "type")?.value;
      if (f.method === 0 && type === "ping") {
        const pong = Frame.fromObject({
          ...f,
          headers: [{ key: "type", value: "pong" }],
          payload: Buffer.from(JSON.stringify(clientConfig())),
        });
        ws.send(Frame.encode(pong).finish());
        // Feishu pushes again what the app did not acknowledge, once the new connection is up (after its
        // first ping: the SDK listens for frames only after its open handler has sent that ping).
        if (!greeted) for (const [id, frame] of this.unacked) if (missed.has(id)) ws.send(frame);
        greeted = true;
        return;
      }
      if (f.method === 1) {
        const id = f.headers.find((h) => h.key === "message_id")?.value ?? "";
        const code = (JSON.parse(Buffer.from(f.payload ?? []).toString("utf8")) as { code?: number }).code;
        if (code === 200) {
          this.acked.add(id);
          this.unacked.delete(id);
        }
      }
    });
  }

  private count(key: string): void {
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    let raw = "";
    for await (const c of req) raw += c;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const path = url.pathname;
    this.count(path.replace(/om_[0-9a-f]+/, ":id"));
    if (req.method === "POST" && path === "/callback/ws/endpoint") {
      if (body.AppID !== this.appId || body.AppSecret !== this.appSecret) {
        return json(res, 200, { code: 514, msg: "auth failed", data: {} });
      }
      const port = this.http?.port;
      const device = randomBytes(6).toString("hex");
      return json(res, 200, {
        code: 0,
        msg: "ok",
        data: {
          URL: `ws://127.0.0.1:${port}/ws?device_id=${device}&access_key=${randomBytes(8).toString("hex")}&service_id=${SERVICE_ID}&ticket=${randomBytes(8).toString("hex")}`,
          ClientConfig: clientConfig(),
        },
      });
    }
    if (req.method === "POST" && path === "/open-apis/auth/v3/tenant_access_token/internal") {
      if (body.app_id !== this.appId) return json(res, 400, { code: 10003, msg: "invalid param: app_id" });
      if (body.app_secret !== this.appSecret)
        return json(res, 400, { code: 10014, msg: "app secret invalid" });
      const token = `t-${randomBytes(16).toString("hex")}`;
      this.tokens.add(token);
      return json(res, 200, { code: 0, msg: "ok", tenant_access_token: token, expire: 7200 });
    }
    const bearer = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    if (!this.tokens.has(bearer)) {
      return json(res, 400, { code: 99991663, msg: "Invalid access token for authorization." });
    }
    if (req.method === "GET" && path === "/open-apis/bot/v3/info") {
      return json(res, 200, {
        code: 0,
        msg: "ok",
        bot: { activate_status: 2, app_name: "Clawbox", ip_white_list: [], open_id: this.botOpenId },
      });
    }
    const reply = /^\/open-apis\/im\/v1\/messages\/(om_[0-9a-f]+)\/reply$/.exec(path);
    const one = /^\/open-apis\/im\/v1\/messages\/(om_[0-9a-f]+)$/.exec(path);
    if (req.method === "PUT" && one) {
      const m = this.sent.find((s) => s.messageId === one[1]);
      if (!m) return json(res, 400, { code: 230011, msg: "The message was withdrawn or not found." });
      const text = parseText(body);
      if (body.msg_type !== "text" || text === undefined)
        return json(res, 400, { code: 230001, msg: "invalid content" });
      m.text = text;
      m.edits++;
      return json(res, 200, { code: 0, msg: "success", data: {} });
    }
    const create = req.method === "POST" && path === "/open-apis/im/v1/messages";
    if (!create && !(req.method === "POST" && reply)) return json(res, 404, { code: 404, msg: "not found" });
    if (create && url.searchParams.get("receive_id_type") !== "chat_id") {
      return json(res, 400, { code: 230001, msg: "receive_id_type must be chat_id here" });
    }
    const fault = this.faults.shift();
    if (fault?.kind === "cut-before") return void req.socket.destroy();
    if (fault?.kind === "rate-limit") {
      return json(
        res,
        429,
        { code: 99991400, msg: "request trigger frequency limit" },
        {
          "x-ogw-ratelimit-limit": "5",
          "x-ogw-ratelimit-reset": String(fault.resetSeconds),
        },
      );
    }
    if (Buffer.byteLength(raw) > MAX_BODY)
      return json(res, 400, { code: 230025, msg: "message content too long" });
    const text = parseText(body);
    if (body.msg_type !== "text" || text === undefined)
      return json(res, 400, { code: 230001, msg: "invalid content" });
    const uuid = typeof body.uuid === "string" ? body.uuid : undefined;
    if (uuid && uuid.length > 50) return json(res, 400, { code: 230001, msg: "uuid longer than 50" });
    const earlier = uuid ? this.uuids.get(uuid) : undefined;
    let message = this.sent.find((s) => s.messageId === earlier);
    if (!message) {
      const parent = reply ? this.parentChat(reply[1] ?? "") : undefined;
      const chatId = create ? String(body.receive_id ?? "") : parent;
      if (!chatId) return json(res, 400, { code: 230001, msg: "unknown chat or parent message" });
      message = {
        messageId: `om_${randomBytes(12).toString("hex")}`,
        chatId,
        text,
        edits: 0,
        ...(reply ? { replyTo: reply[1] } : {}),
      };
      this.sent.push(message);
      if (uuid) this.uuids.set(uuid, message.messageId);
    }
    if (fault?.kind === "cut-after") return void req.socket.destroy();
    return json(res, 200, {
      code: 0,
      msg: "success",
      data: {
        message_id: message.messageId,
        chat_id: message.chatId,
        msg_type: "text",
        body: { content: JSON.stringify({ text }) },
      },
    });
  }

  /** Chats of messages users sent (a reply's chat is its parent's). */
  private readonly userChats = new Map<string, string>();

  private parentChat(messageId: string): string | undefined {
    return this.userChats.get(messageId) ?? this.sent.find((s) => s.messageId === messageId)?.chatId;
  }
}

/** The long connection's settings: ping every 120 s (Feishu's value), reconnect after 1 s (tests). */
function clientConfig() {
  return { PingInterval: 120, ReconnectCount: -1, ReconnectInterval: 1, ReconnectNonce: 0 };
}

function parseText(body: Record<string, unknown>): string | undefined {
  try {
    const t = (JSON.parse(String(body.content ?? "")) as { text?: unknown }).text;
    return typeof t === "string" && t !== "" ? t : undefined;
  } catch {
    return undefined;
  }
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers })
    .end(JSON.stringify(body));
}
