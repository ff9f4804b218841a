import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

/**
 * A small emulator of Slack's Web API and Socket Mode (https://api.slack.com/apis/socket-mode), covering what
 * @slack/bolt 5 (Socket Mode) and the clawbox Slack adapter use:
 * - Web API (form-encoded or JSON bodies, `Authorization: Bearer`): auth.test, apps.connections.open (app-level
 *   `xapp-` token only: a bot token gets `not_allowed_token_type`), chat.postMessage (`msg_too_long` above
 *   40,000 chars, as documented), chat.update; `invalid_auth` for unknown tokens; scripted HTTP 429 with a
 *   `Retry-After` header (seconds) and cuts.
 * - Socket Mode websocket: `hello` on connect, `events_api` envelopes that must be acked with
 *   `{envelope_id}`; unacked envelopes are redelivered on the next connection with `retry_attempt` + 1 and
 *   `retry_reason: "timeout"` (Slack retries up to 3 times); server pings every `pingIntervalMs`;
 *   `disconnect` messages (refresh_requested) and abrupt cuts.
 *
 * Fidelity limits: one workspace and app, message events only (no app_mention, interactivity, slash
 * commands), no per-method rate-limit tiers unless scripted, `ts` values are synthetic but unique and ordered.
 */

/** Slack truncates/rejects text over 40,000 chars (chat.postMessage docs, "Truncating content"). */
export const SLACK_HARD_TEXT_LIMIT = 40_000;

export interface SentSlackMessage {
  channel: string;
  ts: string;
  text: string;
  threadTs?: string;
  history: string[];
}

export interface SlackUserMessageInput {
  channel: string;
  user: string;
  text: string;
  /** "im" for a DM (channel D…), "channel" for a public channel. */
  channelType?: "im" | "channel" | "group";
  threadTs?: string;
  /** Message posted by another bot (subtype bot_message with bot_id). */
  bot?: boolean;
}

type Json = Record<string, unknown>;
type Fault = { kind: "429"; retryAfter: number } | { kind: "cut-before" };

interface Envelope {
  id: string;
  payload: Json;
  attempts: number;
  acked: boolean;
}

export class SlackApiEmulator {
  readonly botToken = "xoxb-test-bot-token";
  readonly appToken = "xapp-1-test-app-token";
  readonly botUserId = "U0BOT0001";
  readonly botId = "B0BOT0001";
  readonly teamId = "T0TEAM001";
  readonly appId = "A0APP0001";
  readonly sent: SentSlackMessage[] = [];
  readonly calls = new Map<string, number>();
  connections = 0;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private socket: WebSocket | undefined;
  private readonly envelopes: Envelope[] = [];
  private readonly faults = new Map<string, Fault[]>();
  private tsCounter = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private readonly pingIntervalMs: number;

  /** @param options.pingIntervalMs how often the server pings the socket, ms (Slack: every few seconds). */
  constructor(options: { pingIntervalMs?: number } = {}) {
    this.pingIntervalMs = options.pingIntervalMs ?? 2000;
  }

  /** Starts on 127.0.0.1:0; resolves to the `slackApiUrl` (with trailing slash, as @slack/web-api expects). */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handleWebApi(req, res));
    const wss = new WebSocketServer({ server, path: "/link" });
    wss.on("connection", (socket) => this.onConnection(socket));
    this.server = server;
    this.wss = wss;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.pingTimer = setInterval(() => {
      for (const client of wss.clients) client.ping("ping");
    }, this.pingIntervalMs);
    return this.apiUrl;
  }

  get apiUrl(): string {
    return `${this.origin}/api/`;
  }

  private get origin(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error("emulator not started");
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    clearInterval(this.pingTimer);
    for (const client of this.wss?.clients ?? []) client.terminate();
    this.wss?.close();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  failNext(method: string, fault: Fault): void {
    const list = this.faults.get(method) ?? [];
    list.push(fault);
    this.faults.set(method, list);
  }

  /** Cuts the Socket Mode websocket without a close frame (network drop). */
  cutSocket(): void {
    this.socket?.terminate();
  }

  /** Asks the client to reconnect, as Slack does before rotating a connection. */
  requestRefresh(): void {
    this.socket?.send(
      JSON.stringify({ type: "disconnect", reason: "refresh_requested", debug_info: { host: "emu" } }),
    );
  }

  /** Number of envelopes not yet acked by the client. */
  get unacked(): number {
    return this.envelopes.filter((e) => !e.acked).length;
  }

  /**
   * Delivers a message event as an `events_api` envelope. `withholdAck` simulates the ack being lost (the
   * envelope stays unacked and is redelivered on the next connection). Returns the message `ts`.
   */
  userSends(input: SlackUserMessageInput, options: { withholdAck?: boolean } = {}): string {
    const ts = this.nextTs();
    const event: Json = {
      type: "message",
      channel: input.channel,
      text: input.text,
      ts,
      event_ts: ts,
      channel_type: input.channelType ?? (input.channel.startsWith("D") ? "im" : "channel"),
      ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
      ...(input.bot
        ? { subtype: "bot_message", bot_id: "B0OTHER01", username: "other-bot" }
        : { user: input.user, client_msg_id: `cmid-${ts}` }),
    };
    const envelope: Envelope = {
      id: `env-${ts}`,
      attempts: 0,
      acked: false,
      payload: {
        token: "verification-token",
        team_id: this.teamId,
        api_app_id: this.appId,
        event,
        type: "event_callback",
        event_id: `Ev${ts.replace(".", "")}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [
          { team_id: this.teamId, user_id: this.botUserId, is_bot: true, is_enterprise_install: false },
        ],
        is_ext_shared_channel: false,
      },
    };
    this.envelopes.push(envelope);
    this.deliver(envelope, options.withholdAck ?? false);
    return ts;
  }

  sentTo(channel: string): SentSlackMessage[] {
    return this.sent.filter((m) => m.channel === channel);
  }

  private withheld = new Set<string>();

  private deliver(envelope: Envelope, withholdAck: boolean): void {
    if (withholdAck) this.withheld.add(envelope.id);
    if (this.socket?.readyState !== 1) return;
    envelope.attempts += 1;
    this.socket.send(
      JSON.stringify({
        envelope_id: envelope.id,
        payload: envelope.payload,
        type: "events_api",
        accepts_response_payload: false,
        retry_attempt: envelope.attempts - 1,
        retry_reason: envelope.attempts > 1 ? "timeout" : "",
      }),
    );
  }

  private nextTs(): string {
    this.tsCounter += 1;
    return `1700000000.${String(this.tsCounter).padStart(6, "0")}`;
  }

  private onConnection(socket: WebSocket): void {
    this.connections += 1;
    this.socket = socket;
    socket.send(
      JSON.stringify({
        type: "hello",
        num_connections: 1,
        debug_info: { host: "emu", build_number: 1, approximate_connection_time: 3600 },
        connection_info: { app_id: this.appId },
      }),
    );
    socket.on("message", (raw) => {
      let msg: Json;
      try {
        msg = JSON.parse(String(raw)) as Json;
      } catch {
        return;
      }
      const envelope = this.envelopes.find((e) => e.id === msg.envelope_id);
      if (!envelope) return;
      if (this.withheld.delete(envelope.id)) return; // the ack "got lost"
      envelope.acked = true;
    });
    // Slack retries unacked events (up to 3 retries) on the live connection.
    for (const envelope of this.envelopes) {
      if (!envelope.acked && envelope.attempts <= 3) this.deliver(envelope, false);
    }
  }

  private async handleWebApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = new URL(req.url ?? "/", "http://x").pathname.replace(/^\/api\//, "");
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const fault = this.faults.get(method)?.shift();
    if (fault?.kind === "cut-before") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "429") {
      res.writeHead(429, { "content-type": "application/json", "retry-after": String(fault.retryAfter) });
      res.end(JSON.stringify({ ok: false, error: "ratelimited" }));
      return;
    }
    const params = await readParams(req);
    const token = (req.headers.authorization ?? "").replace(/^Bearer /, "") || String(params.token ?? "");
    if (method === "apps.connections.open") {
      if (token.startsWith("xoxb-")) return reply(res, { ok: false, error: "not_allowed_token_type" });
      if (token !== this.appToken) return reply(res, { ok: false, error: "invalid_auth" });
      return reply(res, {
        ok: true,
        url: `${this.origin.replace("http", "ws")}/link?ticket=t${this.connections}`,
      });
    }
    if (token !== this.botToken) return reply(res, { ok: false, error: "invalid_auth" });
    switch (method) {
      case "auth.test":
        return reply(res, {
          ok: true,
          url: "https://emulated.slack.com/",
          team: "Emulated",
          user: "clawbox",
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
          is_enterprise_install: false,
        });
      case "chat.postMessage":
        return this.postMessage(res, params);
      case "chat.update":
        return this.update(res, params);
      default:
        return reply(res, { ok: false, error: "unknown_method" });
    }
  }

  private async postMessage(res: ServerResponse, params: Json): Promise<void> {
    const channel = String(params.channel ?? "");
    const text = typeof params.text === "string" ? params.text : "";
    if (!channel) return reply(res, { ok: false, error: "channel_not_found" });
    if (text === "") return reply(res, { ok: false, error: "no_text" });
    if (text.length > SLACK_HARD_TEXT_LIMIT) return reply(res, { ok: false, error: "msg_too_long" });
    const threadTs = typeof params.thread_ts === "string" ? params.thread_ts : undefined;
    const message: SentSlackMessage = {
      channel,
      ts: this.nextTs(),
      text,
      history: [text],
      ...(threadTs ? { threadTs } : {}),
    };
    this.sent.push(message);
    return reply(res, {
      ok: true,
      channel,
      ts: message.ts,
      message: { type: "message", user: this.botUserId, bot_id: this.botId, text, ts: message.ts },
    });
  }

  private async update(res: ServerResponse, params: Json): Promise<void> {
    const message = this.sent.find((m) => m.channel === params.channel && m.ts === params.ts);
    if (!message) return reply(res, { ok: false, error: "message_not_found" });
    const text = typeof params.text === "string" ? params.text : "";
    if (text.length > SLACK_HARD_TEXT_LIMIT) return reply(res, { ok: false, error: "msg_too_long" });
    message.text = text;
    message.history.push(text);
    return reply(res, { ok: true, channel: message.channel, ts: message.ts, text });
  }
}

async function readParams(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  if (!body) return {};
  if ((req.headers["content-type"] ?? "").includes("application/json")) return JSON.parse(body) as Json;
  return Object.fromEntries(new URLSearchParams(body));
}

async function reply(res: ServerResponse, body: Json): Promise<void> {
  if (res.destroyed) return;
  res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}
