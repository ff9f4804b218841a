import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

/**
 * A small emulator of Discord's REST API v10 and Gateway v10 (https://discord.com/developers/docs), covering
 * what discord.js 14 and the clawbox Discord adapter use:
 * - REST: GET /gateway/bot, POST /channels/:id/messages (2000-char limit with Discord's "Invalid Form Body"
 *   error, `nonce` + `enforce_nonce` idempotency), PATCH /channels/:id/messages/:id, POST /channels/:id/typing
 *   (204 without a body or content type), 401 for a wrong token, scripted 429s with `retry_after` (body, s) and
 *   `Retry-After` (header, s).
 * - Gateway (plain JSON text frames, no compression): HELLO (op 10) → IDENTIFY (op 2) → READY, heartbeats
 *   (op 1 → op 11), MESSAGE_CREATE dispatches with sequence numbers, RESUME (op 6) replaying missed events then
 *   RESUMED, close 4004 for a wrong token, close 4014 when MessageContent is requested but not enabled.
 *
 * Fidelity limits: one shard, guilds are minimal (one @everyone role, text channels, no members), no per-route rate-limit
 * buckets or `X-RateLimit-*` headers except on scripted 429s, no zlib compression, no interactions or slash commands.
 */

/** Discord's message content limit, characters (API docs, Create Message: "up to 2000 characters"). */
export const DISCORD_MAX_CONTENT = 2000;
/** Gateway intent bit of the privileged MessageContent intent (docs: 1 << 15). */
export const MESSAGE_CONTENT_INTENT = 1 << 15;

export interface SentDiscordMessage {
  id: string;
  channelId: string;
  content: string;
  history: string[];
  nonce?: string;
}

export interface DiscordUserMessageInput {
  channelId: string;
  authorId: string;
  username?: string;
  bot?: boolean;
  /** Set for a guild channel; omitted for a DM. */
  guildId?: string;
  content: string;
  /** Put the bot in `mentions` (as when the text contains <@botId>). */
  mentionsBot?: boolean;
}

/** A guild the bot is in, sent as GUILD_CREATE after READY (discord.js drops messages of uncached guild channels). */
export interface EmulatedGuild {
  id: string;
  /** Text channel ids in the guild. */
  channelIds: string[];
}

type RestRoute = "createMessage" | "editMessage" | "typing";
type Fault = { kind: "429"; retryAfter: number } | { kind: "cut-before" } | { kind: "cut-after" };
type Json = Record<string, unknown>;

interface Session {
  id: string;
  seq: number;
  /** Dispatches sent in this session, for RESUME replay. */
  events: { s: number; payload: Json }[];
  socket: WebSocket | undefined;
}

export class DiscordApiEmulator {
  readonly token = "ODk.discord-test-token.emulator";
  readonly botId = "1100000000000000001";
  readonly botUsername = "clawbox";
  readonly sent: SentDiscordMessage[] = [];
  readonly typingIn: string[] = [];
  readonly calls = new Map<RestRoute, number>();
  identifies = 0;
  resumes = 0;
  heartbeats = 0;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private session: Session | undefined;
  private nextId = 1100000000000001000n;
  private readonly faults = new Map<RestRoute, Fault[]>();
  private readonly privilegedIntents: boolean;
  private readonly heartbeatIntervalMs: number;
  private readonly guilds: EmulatedGuild[];

  /**
   * @param options.privilegedIntents whether the app has MessageContent enabled in the developer portal (default true)
   * @param options.heartbeatIntervalMs HELLO's heartbeat_interval, ms (Discord sends ~41250; default 1000 for tests)
   */
  constructor(
    options: { privilegedIntents?: boolean; heartbeatIntervalMs?: number; guilds?: EmulatedGuild[] } = {},
  ) {
    this.privilegedIntents = options.privilegedIntents ?? true;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1000;
    this.guilds = options.guilds ?? [{ id: "700", channelIds: ["600"] }];
  }

  /** Starts HTTP + WebSocket on 127.0.0.1:0; resolves to the REST base to give discord.js as `rest.api`. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handleRest(req, res));
    const wss = new WebSocketServer({ server, path: "/gateway" });
    wss.on("connection", (socket) => this.onGatewayConnection(socket));
    this.server = server;
    this.wss = wss;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return this.apiBase;
  }

  get apiBase(): string {
    return `${this.origin}/api`;
  }

  private get origin(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error("emulator not started");
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    for (const client of this.wss?.clients ?? []) client.terminate();
    this.wss?.close();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Scripts the next call of a REST route: 429, a cut before processing, or a cut after (response lost). */
  failNext(route: RestRoute, fault: Fault): void {
    const list = this.faults.get(route) ?? [];
    list.push(fault);
    this.faults.set(route, list);
  }

  /** Drops the gateway connection abnormally (no close frame), as a network cut; the session stays resumable. */
  cutGateway(): void {
    this.session?.socket?.terminate();
  }

  /** Dispatches MESSAGE_CREATE for a user's message (queued for RESUME replay if the gateway is down). */
  userSends(input: DiscordUserMessageInput): string {
    const id = this.snowflake();
    const mentions = input.mentionsBot
      ? [
          {
            id: this.botId,
            username: this.botUsername,
            discriminator: "0",
            bot: true,
            global_name: null,
            avatar: null,
          },
        ]
      : [];
    this.dispatch("MESSAGE_CREATE", {
      id,
      channel_id: input.channelId,
      ...(input.guildId ? { guild_id: input.guildId } : { channel_type: 1 }),
      author: {
        id: input.authorId,
        username: input.username ?? "user",
        discriminator: "0",
        global_name: null,
        avatar: null,
        ...(input.bot ? { bot: true } : {}),
      },
      content: input.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions,
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
    });
    return id;
  }

  sentTo(channelId: string): SentDiscordMessage[] {
    return this.sent.filter((m) => m.channelId === channelId);
  }

  private snowflake(): string {
    this.nextId += 1n;
    return this.nextId.toString();
  }

  private dispatch(type: string, data: Json): void {
    const session = this.session;
    if (!session) return;
    session.seq += 1;
    const payload = { op: 0, t: type, s: session.seq, d: data };
    session.events.push({ s: session.seq, payload });
    if (session.socket?.readyState === 1) session.socket.send(JSON.stringify(payload));
  }

  private onGatewayConnection(socket: WebSocket): void {
    socket.send(
      JSON.stringify({ op: 10, d: { heartbeat_interval: this.heartbeatIntervalMs }, s: null, t: null }),
    );
    socket.on("message", (raw) => {
      let payload: Json;
      try {
        payload = JSON.parse(String(raw)) as Json;
      } catch {
        socket.close(4002, "Error while decoding payload.");
        return;
      }
      const d = (payload.d ?? {}) as Json;
      switch (payload.op) {
        case 1:
          this.heartbeats += 1;
          socket.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
          return;
        case 2:
          return this.identify(socket, d);
        case 6:
          return this.resume(socket, d);
        default:
          return;
      }
    });
    socket.on("close", () => {
      if (this.session?.socket === socket) this.session.socket = undefined;
    });
  }

  private identify(socket: WebSocket, d: Json): void {
    if (d.token !== this.token) {
      socket.close(4004, "Authentication failed.");
      return;
    }
    if ((Number(d.intents) & MESSAGE_CONTENT_INTENT) !== 0 && !this.privilegedIntents) {
      socket.close(4014, "Disallowed intent(s).");
      return;
    }
    this.identifies += 1;
    this.session = { id: `session-${this.identifies}`, seq: 0, events: [], socket };
    const wsOrigin = this.origin.replace("http", "ws");
    this.dispatch("READY", {
      v: 10,
      user: {
        id: this.botId,
        username: this.botUsername,
        discriminator: "0",
        bot: true,
        global_name: null,
        avatar: null,
      },
      guilds: this.guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: this.session.id,
      resume_gateway_url: `${wsOrigin}/gateway`,
      application: { id: this.botId, flags: 0 },
    });
    for (const guild of this.guilds) this.dispatch("GUILD_CREATE", this.guildJson(guild));
  }

  private guildJson(guild: EmulatedGuild): Json {
    return {
      id: guild.id,
      name: `guild ${guild.id}`,
      icon: null,
      owner_id: "1",
      unavailable: false,
      large: false,
      member_count: 2,
      joined_at: new Date().toISOString(),
      features: [],
      roles: [
        {
          id: guild.id,
          name: "@everyone",
          permissions: "1024",
          position: 0,
          color: 0,
          hoist: false,
          managed: false,
          mentionable: false,
        },
      ],
      emojis: [],
      stickers: [],
      members: [],
      presences: [],
      voice_states: [],
      threads: [],
      stage_instances: [],
      guild_scheduled_events: [],
      channels: guild.channelIds.map((id, position) => ({
        id,
        type: 0,
        name: `channel-${id}`,
        guild_id: guild.id,
        position,
        permission_overwrites: [],
        nsfw: false,
        parent_id: null,
      })),
    };
  }

  private resume(socket: WebSocket, d: Json): void {
    const session = this.session;
    if (d.token !== this.token || !session || session.id !== d.session_id) {
      socket.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
      return;
    }
    this.resumes += 1;
    session.socket = socket;
    const after = Number(d.seq ?? 0);
    for (const event of session.events) if (event.s > after) socket.send(JSON.stringify(event.payload));
    this.dispatch("RESUMED", {});
  }

  private async handleRest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname.replace(/^\/api\/v\d+/, "");
    if (req.headers.authorization !== `Bot ${this.token}`) {
      return json(res, 401, { message: "401: Unauthorized", code: 0 });
    }
    if (req.method === "GET" && path === "/gateway/bot") {
      return json(res, 200, {
        url: `${this.origin.replace("http", "ws")}/gateway`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
      });
    }
    if (req.method === "GET" && path === "/users/@me") {
      return json(res, 200, { id: this.botId, username: this.botUsername, discriminator: "0", bot: true });
    }
    const create = /^\/channels\/(\d+)\/messages$/.exec(path);
    const edit = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path);
    const typing = /^\/channels\/(\d+)\/typing$/.exec(path);
    const route: RestRoute | undefined =
      req.method === "POST" && create
        ? "createMessage"
        : req.method === "PATCH" && edit
          ? "editMessage"
          : req.method === "POST" && typing
            ? "typing"
            : undefined;
    if (!route) return json(res, 404, { message: "404: Not Found", code: 0 });
    this.calls.set(route, (this.calls.get(route) ?? 0) + 1);
    const fault = this.faults.get(route)?.shift();
    if (fault?.kind === "cut-before") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "429") {
      res.writeHead(429, {
        "content-type": "application/json",
        "retry-after": String(Math.ceil(fault.retryAfter)),
        "x-ratelimit-scope": "user",
      });
      res.end(
        JSON.stringify({
          message: "You are being rate limited.",
          retry_after: fault.retryAfter,
          global: false,
        }),
      );
      return;
    }
    const body = await readJson(req);
    if (route === "typing") {
      this.typingIn.push(typing?.[1] ?? "");
      res.writeHead(204);
      res.end();
      return;
    }
    const content = typeof body.content === "string" ? body.content : "";
    if ([...content].length > DISCORD_MAX_CONTENT) return invalidLength(res);
    if (content === "") return json(res, 400, { message: "Cannot send an empty message", code: 50006 });
    let message: SentDiscordMessage | undefined;
    if (route === "createMessage") {
      const channelId = create?.[1] ?? "";
      const nonce = typeof body.nonce === "string" ? body.nonce : undefined;
      message =
        nonce && body.enforce_nonce === true
          ? this.sent.find((m) => m.channelId === channelId && m.nonce === nonce)
          : undefined;
      if (!message) {
        message = {
          id: this.snowflake(),
          channelId,
          content,
          history: [content],
          ...(nonce ? { nonce } : {}),
        };
        this.sent.push(message);
      }
    } else {
      message = this.sent.find((m) => m.channelId === edit?.[1] && m.id === edit?.[2]);
      if (!message) return json(res, 404, { message: "Unknown Message", code: 10008 });
      message.content = content;
      message.history.push(content);
    }
    if (fault?.kind === "cut-after") {
      req.socket.destroy();
      return;
    }
    return json(res, 200, this.messageJson(message));
  }

  private messageJson(m: SentDiscordMessage): Json {
    return {
      id: m.id,
      channel_id: m.channelId,
      author: {
        id: this.botId,
        username: this.botUsername,
        discriminator: "0",
        bot: true,
        global_name: null,
        avatar: null,
      },
      content: m.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: m.history.length > 1 ? new Date().toISOString() : null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
      ...(m.nonce ? { nonce: m.nonce } : {}),
    };
  }
}

async function invalidLength(res: ServerResponse): Promise<void> {
  return json(res, 400, {
    message: "Invalid Form Body",
    code: 50035,
    errors: {
      content: {
        _errors: [
          { code: "BASE_TYPE_MAX_LENGTH", message: `Must be ${DISCORD_MAX_CONTENT} or fewer in length.` },
        ],
      },
    },
  });
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Json) : {};
}

async function json(res: ServerResponse, status: number, body: unknown): Promise<void> {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
