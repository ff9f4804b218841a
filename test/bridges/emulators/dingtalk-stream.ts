import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { WebSocket } from "ws";
import { LoopbackHttp } from "../kit/loopback-http.js";

/**
 * A small emulator of DingTalk's Stream mode and robot send APIs, for the official `dingtalk-stream` SDK:
 * - `POST /v1.0/oauth2/accessToken` {appKey, appSecret} → {accessToken, expireIn} (wrong → 400).
 * - `POST /v1.0/gateway/connections/open` {clientId, clientSecret, ua, subscriptions} → {endpoint, ticket}
 *   (wrong credentials → 401 InvalidAuthentication); the WebSocket takes `?ticket=` once.
 * - Frames are JSON: a robot message is `{specVersion, type:"CALLBACK", headers:{appId, connectionId,
 *   contentType, messageId, time, topic:"/v1.0/im/bot/messages/get"}, data}`; the client answers
 *   `{code:200, headers:{messageId}, message:"OK", data}`. Callbacks not answered are pushed again on the
 *   next connection (DingTalk retries for about 60 s). Before closing, the server sends SYSTEM "disconnect".
 * - Replies: the session webhook `POST /robot/sendBySession?session=…` {msgtype:"text", text:{content}} →
 *   {errcode:0, errmsg:"ok"}; OpenAPI `POST /v1.0/robot/oToMessages/batchSend` and
 *   `/v1.0/robot/groupMessages/send` with `x-acs-dingtalk-access-token` (msgParam ≤ 15,000 bytes).
 *   Scripted faults: errcode 130101 "send too fast", a cut before the send.
 *
 * Fidelity limits: text only; session webhooks never expire unless `expireSessions` is called; no
 * signature on webhooks (Stream mode needs none); error texts are DingTalk's shape, not verbatim.
 */

type Fault = { kind: "rate-limit" } | { kind: "cut-before" };

export interface DingTalkUser {
  staffId: string;
  nick: string;
}

export interface SentDingTalkMessage {
  /** "user:<staffId>" or "group:<openConversationId>". */
  to: string;
  text: string;
  via: "webhook" | "openapi";
}

const TOPIC_ROBOT = "/v1.0/im/bot/messages/get";
const MAX_MSG_PARAM = 15_000;

export class DingTalkStreamEmulator {
  readonly clientId = "dingclawboxtest0001";
  readonly clientSecret = "dingtalk-client-secret-0123456789";
  readonly sent: SentDingTalkMessage[] = [];
  readonly acked = new Set<string>();
  readonly calls = new Map<string, number>();
  /** New WebSocket connections are refused (network down for the app). */
  refuseConnections = false;
  private http: LoopbackHttp | undefined;
  private readonly tickets = new Set<string>();
  private readonly tokens = new Set<string>();
  private readonly sessions = new Map<string, string>();
  private readonly unacked = new Map<string, string>();
  private readonly faults: Fault[] = [];

  async start(): Promise<string> {
    this.http = await LoopbackHttp.start((req, res) => this.handle(req, res), {
      accept: (req) => {
        const ticket = new URL(req.url ?? "/", "http://x").searchParams.get("ticket") ?? "";
        return !this.refuseConnections && this.tickets.delete(ticket);
      },
      onSocket: (ws) => this.accept(ws),
    });
    return this.apiUrl;
  }

  get apiUrl(): string {
    if (!this.http) throw new Error("emulator not started");
    return this.http.url;
  }

  async stop(): Promise<void> {
    await this.http?.stop();
    this.http = undefined;
  }

  get connections(): number {
    return this.http?.sockets.size ?? 0;
  }

  /** Scripts the next robot send (webhook or OpenAPI) to fail. */
  failNext(fault: Fault): void {
    this.faults.push(fault);
  }

  /** Closes every Stream connection the way DingTalk does (SYSTEM disconnect, then close). */
  dropConnections(): void {
    for (const ws of this.http?.sockets ?? []) {
      ws.send(
        JSON.stringify({ specVersion: "1.0", type: "SYSTEM", headers: { topic: "disconnect" }, data: "{}" }),
      );
      ws.terminate();
    }
  }

  /** Session webhooks stop working (DingTalk's ~90-minute expiry): sends must use the OpenAPI. */
  expireSessions(): void {
    this.sessions.clear();
  }

  /** Messages the robot sent to a user (DM) or group, in order. */
  sentTo(to: string): SentDingTalkMessage[] {
    return this.sent.filter((m) => m.to === to);
  }

  /**
   * A user writes to the robot: a DM, or in a group (`group` = openConversationId; the robot gets it as
   * @-mentioned). Pushes the TOPIC_ROBOT callback; resolves with the msgId.
   */
  userSends(user: DingTalkUser, text: string, group?: string): string {
    const msgId = `msg${randomBytes(10).toString("hex")}`;
    const conversationId = group ?? `cid${user.staffId}dm`;
    const session = randomBytes(12).toString("hex");
    this.sessions.set(session, group ? `group:${group}` : `user:${user.staffId}`);
    const data = {
      conversationId,
      chatbotCorpId: "dingcorp01",
      chatbotUserId: "$:LWCP_v1:$bot",
      msgId,
      senderNick: user.nick,
      isAdmin: false,
      senderStaffId: user.staffId,
      sessionWebhookExpiredTime: Date.now() + 90 * 60_000,
      createAt: Date.now(),
      senderCorpId: "dingcorp01",
      conversationType: group ? "2" : "1",
      senderId: `$:LWCP_v1:$${user.staffId}`,
      sessionWebhook: `${this.apiUrl}/robot/sendBySession?session=${session}`,
      robotCode: this.clientId,
      msgtype: "text",
      text: { content: group ? ` ${text}` : text },
      ...(group ? { isInAtList: true } : {}),
    };
    const frame = JSON.stringify({
      specVersion: "1.0",
      type: "CALLBACK",
      headers: {
        appId: "app01",
        connectionId: "conn01",
        contentType: "application/json",
        messageId: `mid-${msgId}`,
        time: String(Date.now()),
        topic: TOPIC_ROBOT,
      },
      data: JSON.stringify(data),
    });
    this.unacked.set(`mid-${msgId}`, frame);
    for (const ws of this.http?.sockets ?? []) ws.send(frame);
    return msgId;
  }

  private accept(ws: WebSocket): void {
    ws.on("message", (raw: Buffer) => {
      const m = JSON.parse(raw.toString("utf8")) as { code?: number; headers?: { messageId?: string } };
      const id = m.headers?.messageId ?? "";
      if (m.code === 200 && this.unacked.delete(id)) this.acked.add(id);
    });
    for (const frame of this.unacked.values()) ws.send(frame);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    this.calls.set(url.pathname, (this.calls.get(url.pathname) ?? 0) + 1);
    let raw = "";
    for await (const c of req) raw += c;
    let body: Record<string, unknown> = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      return json(res, 400, { code: "InvalidParameter", message: "body is not JSON" });
    }
    if (url.pathname === "/v1.0/oauth2/accessToken") {
      if (body.appKey !== this.clientId || body.appSecret !== this.clientSecret) {
        return json(res, 400, { code: "invalidClientIdOrSecret", message: "无效的clientId或clientSecret" });
      }
      const token = randomBytes(16).toString("hex");
      this.tokens.add(token);
      return json(res, 200, { accessToken: token, expireIn: 7200 });
    }
    if (url.pathname === "/v1.0/gateway/connections/open") {
      if (body.clientId !== this.clientId || body.clientSecret !== this.clientSecret) {
        return json(res, 401, { code: "InvalidAuthentication", message: "clientId or clientSecret invalid" });
      }
      const subs = (body.subscriptions ?? []) as { type?: string; topic?: string }[];
      if (!subs.some((s) => s.type === "CALLBACK" && s.topic === TOPIC_ROBOT)) {
        return json(res, 400, { code: "InvalidParameter", message: "no robot subscription" });
      }
      const ticket = randomBytes(12).toString("hex");
      this.tickets.add(ticket);
      const port = this.http?.port;
      return json(res, 200, { endpoint: `ws://127.0.0.1:${port}/connect`, ticket });
    }
    if (url.pathname === "/robot/sendBySession") {
      const to = this.sessions.get(url.searchParams.get("session") ?? "");
      if (!to) return json(res, 200, { errcode: 300001, errmsg: "session expired or invalid" });
      return this.deliver(
        req,
        res,
        to,
        "webhook",
        body.msgtype === "text" ? (body.text as { content?: unknown })?.content : undefined,
        true,
      );
    }
    if (!this.tokens.has(String(req.headers["x-acs-dingtalk-access-token"] ?? ""))) {
      return json(res, 401, { code: "InvalidAuthentication", message: "不合法的access_token" });
    }
    const send =
      url.pathname === "/v1.0/robot/oToMessages/batchSend" ||
      url.pathname === "/v1.0/robot/groupMessages/send";
    if (!send) return json(res, 404, { code: "NotFound", message: "unknown API" });
    if (body.robotCode !== this.clientId || body.msgKey !== "sampleText") {
      return json(res, 400, { code: "InvalidParameter", message: "robotCode or msgKey invalid" });
    }
    const param = String(body.msgParam ?? "");
    if (Buffer.byteLength(param) > MAX_MSG_PARAM) {
      return json(res, 400, {
        code: "InvalidParameter.MsgParam",
        message: "msgParam longer than 15000 bytes",
      });
    }
    const to = url.pathname.includes("oToMessages")
      ? `user:${(body.userIds as string[] | undefined)?.[0] ?? ""}`
      : `group:${String(body.openConversationId ?? "")}`;
    const content = (JSON.parse(param || "{}") as { content?: unknown }).content;
    return this.deliver(req, res, to, "openapi", content, false);
  }

  private deliver(
    req: IncomingMessage,
    res: ServerResponse,
    to: string,
    via: "webhook" | "openapi",
    content: unknown,
    webhook: boolean,
  ): void {
    const fault = this.faults.shift();
    if (fault?.kind === "cut-before") return void req.socket.destroy();
    if (fault?.kind === "rate-limit") {
      webhook
        ? json(res, 200, { errcode: 130101, errmsg: "send too fast, exceed 20 times per minute" })
        : json(res, 429, { code: "Throttling.Api", message: "API flow control" });
      return;
    }
    if (typeof content !== "string" || content === "") {
      webhook
        ? json(res, 200, { errcode: 40035, errmsg: "缺少参数 text.content" })
        : json(res, 400, { code: "InvalidParameter", message: "content is empty" });
      return;
    }
    this.sent.push({ to, text: content, via });
    webhook
      ? json(res, 200, { errcode: 0, errmsg: "ok" })
      : json(res, 200, {
          processQueryKey: randomBytes(8).toString("hex"),
          invalidStaffIdList: [],
          flowControlledStaffIdList: [],
        });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json;charset=utf-8" }).end(JSON.stringify(body));
}
