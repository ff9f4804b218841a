import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { WeComCrypto } from "../../../agent/src/bridges/wecom/callback-crypto.js";
import { LoopbackHttp } from "../kit/loopback-http.js";

/**
 * A small emulator of WeCom (企业微信) for a self-built application and a group robot, both directions:
 * - API side (what the bridge calls): `GET /cgi-bin/gettoken?corpid&corpsecret` → {errcode:0, access_token,
 *   expires_in:7200} (40013 unknown corp, 40001 wrong secret); `POST /cgi-bin/message/send?access_token=`
 *   text to a userid → {errcode:0, msgid} (42001 for an expired token — `expireTokens` —, 40014 for an
 *   unknown one, 45002 for text over 2048 bytes, 81013 for an unknown userid); `POST
 *   /cgi-bin/webhook/send?key=` group robot text/markdown → {errcode:0} (93000 for an unknown key).
 *   Scripted faults: 45009 rate limit, a cut before the send.
 * - Callback side (what WeCom calls): `verifyUrl` does the GET with an encrypted echostr; `userSends` POSTs
 *   the encrypted, signed XML of a text message to the bridge's URL; `redeliver` posts it again (WeCom
 *   retries 3 times when not answered within 5 s).
 * The callback encryption uses the bridge's own WeComCrypto (its layout is checked against raw AES in
 * callback-crypto.test.ts). Fidelity limits: text only, one app, no trusted-IP check, no member limit.
 */

type Fault = { kind: "rate-limit" } | { kind: "cut-before" };

export interface SentWeComMessage {
  msgid: string;
  touser: string;
  text: string;
}

export class WeComEmulator {
  readonly corpId = "ww1234567890abcdef";
  readonly agentId = 1000002;
  readonly corpSecret = "wecom-app-secret-0123456789";
  readonly token = "QDG6eK";
  readonly encodingAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
  readonly robotKey = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";
  readonly users = new Set(["ZhangSan", "LiSi", "WangWu"]);
  readonly sent: SentWeComMessage[] = [];
  /** Group robot messages: msgtype and content. */
  readonly robot: { msgtype: string; content: string }[] = [];
  readonly calls = new Map<string, number>();
  /** Where callbacks go (the bridge's listen address), set by the test. */
  callbackUrl = "";
  private http: LoopbackHttp | undefined;
  private readonly tokens = new Set<string>();
  private readonly expired = new Set<string>();
  private readonly faults: Fault[] = [];
  private readonly delivered = new Map<string, string>();
  private readonly crypto = new WeComCrypto(this.token, this.encodingAesKey, this.corpId);

  async start(): Promise<string> {
    this.http = await LoopbackHttp.start((req, res) => this.handle(req, res));
    return this.apiUrl;
  }

  get apiUrl(): string {
    if (!this.http) throw new Error("emulator not started");
    return this.http.url;
  }

  /** The group robot's webhook URL (the key is its secret). */
  get robotUrl(): string {
    return `${this.apiUrl}/cgi-bin/webhook/send?key=${this.robotKey}`;
  }

  async stop(): Promise<void> {
    await this.http?.stop();
    this.http = undefined;
  }

  failNext(fault: Fault): void {
    this.faults.push(fault);
  }

  /** Every issued access_token expires now (the next send gets 42001). */
  expireTokens(): void {
    for (const t of this.tokens) this.expired.add(t);
    this.tokens.clear();
  }

  sentTo(userid: string): SentWeComMessage[] {
    return this.sent.filter((m) => m.touser === userid);
  }

  /** WeCom's URL check: GET with an encrypted echostr; resolves with status and body. */
  async verifyUrl(
    opts: { badSignature?: boolean } = {},
  ): Promise<{ status: number; body: string; echo: string }> {
    const echo = String(Math.floor(Math.random() * 1e18));
    const echostr = this.crypto.encrypt(echo);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(5).toString("hex");
    const sig = opts.badSignature ? "0".repeat(40) : this.crypto.signature(timestamp, nonce, echostr);
    const q = new URLSearchParams({ msg_signature: sig, timestamp, nonce, echostr });
    const res = await fetch(`${this.callbackUrl}?${q}`);
    return { status: res.status, body: await res.text(), echo };
  }

  /**
   * A member writes to the app: the encrypted callback POST. Resolves with the MsgId and the bridge's HTTP
   * status. `signature: "bad"` signs wrongly.
   */
  async userSends(
    userid: string,
    text: string,
    opts: { signature?: "bad" } = {},
  ): Promise<{ msgId: string; status: number }> {
    const msgId = String(7_000_000_000_000_000_000n + BigInt(this.delivered.size + 1) * 7919n);
    const inner =
      `<xml><ToUserName><![CDATA[${this.corpId}]]></ToUserName><FromUserName><![CDATA[${userid}]]></FromUserName>` +
      `<CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
      `<Content><![CDATA[${text}]]></Content><MsgId>${msgId}</MsgId><AgentID>${this.agentId}</AgentID></xml>`;
    const encrypted = this.crypto.encrypt(inner);
    const body = `<xml><ToUserName><![CDATA[${this.corpId}]]></ToUserName><AgentID><![CDATA[${this.agentId}]]></AgentID><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`;
    this.delivered.set(msgId, body);
    return { msgId, status: await this.post(body, encrypted, opts.signature === "bad") };
  }

  /** WeCom retrying the same callback (same MsgId). Resolves with the HTTP status. */
  redeliver(msgId: string): Promise<number> {
    const body = this.delivered.get(msgId);
    if (!body) throw new Error(`no callback with ${msgId}`);
    const encrypted = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(body)?.[1] ?? "";
    return this.post(body, encrypted, false);
  }

  private async post(body: string, encrypted: string, bad: boolean): Promise<number> {
    if (!this.callbackUrl) throw new Error("callbackUrl not set");
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(5).toString("hex");
    const sig = bad ? "f".repeat(40) : this.crypto.signature(timestamp, nonce, encrypted);
    const q = new URLSearchParams({ msg_signature: sig, timestamp, nonce });
    const res = await fetch(`${this.callbackUrl}?${q}`, {
      method: "POST",
      headers: { "content-type": "text/xml" },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    this.calls.set(url.pathname, (this.calls.get(url.pathname) ?? 0) + 1);
    let raw = "";
    for await (const c of req) raw += c;
    if (req.method === "GET" && url.pathname === "/cgi-bin/gettoken") {
      if (url.searchParams.get("corpid") !== this.corpId)
        return json(res, { errcode: 40013, errmsg: "invalid corpid" });
      if (url.searchParams.get("corpsecret") !== this.corpSecret)
        return json(res, { errcode: 40001, errmsg: "invalid credential" });
      const token = randomBytes(24).toString("hex");
      this.tokens.add(token);
      return json(res, { errcode: 0, errmsg: "ok", access_token: token, expires_in: 7200 });
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw || "{}");
    } catch {
      return json(res, { errcode: 47001, errmsg: "data format error" });
    }
    if (req.method === "POST" && url.pathname === "/cgi-bin/webhook/send") {
      if (url.searchParams.get("key") !== this.robotKey)
        return json(res, { errcode: 93000, errmsg: "invalid webhook url" });
      const fault = this.faults.shift();
      if (fault?.kind === "cut-before") return void req.socket.destroy();
      if (fault?.kind === "rate-limit") return json(res, { errcode: 45009, errmsg: "api freq out of limit" });
      const msgtype = String(body.msgtype ?? "");
      const content = String((body[msgtype] as { content?: unknown } | undefined)?.content ?? "");
      const limit = msgtype === "markdown" ? 4096 : 2048;
      if (!content || (msgtype !== "text" && msgtype !== "markdown"))
        return json(res, { errcode: 40008, errmsg: "invalid message type" });
      if (Buffer.byteLength(content) > limit)
        return json(res, { errcode: 45002, errmsg: "content size out of limit" });
      this.robot.push({ msgtype, content });
      return json(res, { errcode: 0, errmsg: "ok" });
    }
    if (req.method !== "POST" || url.pathname !== "/cgi-bin/message/send")
      return json(res, { errcode: 404, errmsg: "unknown api" });
    const token = url.searchParams.get("access_token") ?? "";
    if (!this.tokens.has(token)) {
      return json(
        res,
        this.expired.has(token)
          ? { errcode: 42001, errmsg: "access_token expired" }
          : { errcode: 40014, errmsg: "invalid access_token" },
      );
    }
    const fault = this.faults.shift();
    if (fault?.kind === "cut-before") return void req.socket.destroy();
    if (fault?.kind === "rate-limit") return json(res, { errcode: 45009, errmsg: "api freq out of limit" });
    if (body.agentid !== this.agentId) return json(res, { errcode: 40056, errmsg: "invalid agentid" });
    const text = String((body.text as { content?: unknown } | undefined)?.content ?? "");
    if (body.msgtype !== "text" || !text) return json(res, { errcode: 44004, errmsg: "empty content" });
    if (Buffer.byteLength(text) > 2048)
      return json(res, { errcode: 45002, errmsg: "content size out of limit" });
    const touser = String(body.touser ?? "");
    if (!this.users.has(touser))
      return json(res, { errcode: 81013, errmsg: "user & party & tag all invalid" });
    const msgid = randomBytes(20).toString("base64url");
    this.sent.push({ msgid, touser, text });
    return json(res, { errcode: 0, errmsg: "ok", invaliduser: "", msgid });
  }
}

function json(res: ServerResponse, body: unknown): void {
  // WeCom answers errors with HTTP 200 and an errcode.
  res.writeHead(200, { "content-type": "application/json; charset=UTF-8" }).end(JSON.stringify(body));
}
