import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small emulator of the Telegram Bot API (https://core.telegram.org/bots/api), covering only what grammY and
 * the clawbox Telegram adapter use: getMe, deleteWebhook, getUpdates (long polling with offset confirmation),
 * sendMessage, editMessageText, sendChatAction, setMyCommands. Error bodies copy the real server's shape
 * (`{ok:false, error_code, description, parameters?}`) and texts (observed on api.telegram.org):
 * "Bad Request: message is too long", "Bad Request: message text is empty",
 * "Bad Request: message is not modified: …", "Bad Request: message to edit not found",
 * "Too Many Requests: retry after N" with `parameters.retry_after`, and "Unauthorized" (401).
 *
 * Fidelity limits: JSON bodies only (no multipart uploads), text messages only (no entities parsing, no
 * parse_mode validation), no webhooks, one bot token, no per-chat rate limits unless scripted with `failNext`.
 */

/** Telegram's documented maximum text length of one message, in characters (Bot API sendMessage docs). */
export const TELEGRAM_MAX_TEXT = 4096;

/** A message the bot sent, as recorded by the emulator (latest text after edits). */
export interface SentTelegramMessage {
  messageId: number;
  chatId: number;
  text: string;
  /** Every text this message had, first the sent one, then each edit. */
  history: string[];
}

/** A message a (simulated) human sends to the bot. */
export interface UserMessageInput {
  chatId: number;
  fromId: number;
  firstName?: string;
  username?: string;
  isBot?: boolean;
  chatType?: "private" | "group" | "supergroup";
  text: string;
}

type Json = Record<string, unknown>;
type Fault = { kind: "429"; retryAfter: number } | { kind: "cut" };

/** Bot API emulator server bound to 127.0.0.1 on a free port. */
export class TelegramBotApiEmulator {
  readonly token: string;
  readonly botId = 7_000_001;
  readonly botUsername = "clawbox_test_bot";
  /** Messages the bot sent, in order. */
  readonly sent: SentTelegramMessage[] = [];
  /** Chat actions received (`{chatId, action}`), in order. */
  readonly chatActions: { chatId: number; action: string }[] = [];
  /** Count of calls per method, including failed ones. */
  readonly calls = new Map<string, number>();
  private server: Server | undefined;
  private readonly updates: Json[] = [];
  private nextUpdateId = 1;
  private nextMessageId = 1;
  private readonly waiters = new Set<() => void>();
  private readonly faults = new Map<string, Fault[]>();

  constructor(token = "123456:TEST-token") {
    this.token = token;
  }

  /** Starts listening; resolves to the `apiRoot` to give grammY (no trailing slash). */
  async start(): Promise<string> {
    const server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return this.apiRoot;
  }

  /** The base URL grammY should use as `client.apiRoot`. */
  get apiRoot(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error("emulator not started");
    return `http://127.0.0.1:${address.port}`;
  }

  /** Closes the server and every open connection (pending long polls end abruptly). */
  async stop(): Promise<void> {
    for (const wake of this.waiters) wake();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  /** Drops every open TCP connection (keep-alive sockets and pending long polls): a network cut. */
  cutConnections(): void {
    this.server?.closeAllConnections();
  }

  /**
   * Scripts the next call of `method` to fail: `{kind:"429", retryAfter}` answers HTTP 429 with
   * `parameters.retry_after` (seconds); `{kind:"cut"}` destroys the connection before the request is processed
   * (the call has no effect, as when the network drops on the way to Telegram).
   */
  failNext(method: string, fault: Fault): void {
    const list = this.faults.get(method) ?? [];
    list.push(fault);
    this.faults.set(method, list);
  }

  /** Queues an update carrying a text message from a user; wakes a pending getUpdates. */
  userSends(input: UserMessageInput): number {
    const chatType = input.chatType ?? "private";
    const from = {
      id: input.fromId,
      is_bot: input.isBot ?? false,
      first_name: input.firstName ?? "User",
      ...(input.username ? { username: input.username } : {}),
    };
    const chat =
      chatType === "private"
        ? { id: input.chatId, type: "private", first_name: from.first_name }
        : { id: input.chatId, type: chatType, title: "Group" };
    const messageId = this.nextMessageId++;
    const entities = mentionEntities(input.text, this.botUsername);
    this.updates.push({
      update_id: this.nextUpdateId++,
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        from,
        chat,
        text: input.text,
        ...(entities.length ? { entities } : {}),
      },
    });
    for (const wake of this.waiters) wake();
    return messageId;
  }

  /** Sent messages addressed to one chat, in order. */
  sentTo(chatId: number): SentTelegramMessage[] {
    return this.sent.filter((m) => m.chatId === chatId);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(new URL(req.url ?? "/", "http://x").pathname);
    if (!match) return reply(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    const [, token, method = ""] = match;
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const fault = this.faults.get(method)?.shift();
    if (fault?.kind === "cut") {
      req.socket.destroy();
      return;
    }
    if (token !== this.token)
      return reply(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    if (fault?.kind === "429") {
      return reply(res, 429, {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${fault.retryAfter}`,
        parameters: { retry_after: fault.retryAfter },
      });
    }
    let params: Json;
    try {
      params = await readJson(req);
    } catch {
      return badRequest(res, "Bad Request: can't parse JSON");
    }
    switch (method) {
      case "getMe":
        return ok(res, {
          id: this.botId,
          is_bot: true,
          first_name: "clawbox",
          username: this.botUsername,
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
        });
      case "deleteWebhook":
      case "setMyCommands":
        return ok(res, true);
      case "getUpdates":
        return this.getUpdates(req, res, params);
      case "sendMessage":
        return this.sendMessage(res, params);
      case "editMessageText":
        return this.editMessageText(res, params);
      case "sendChatAction": {
        const chatId = Number(params.chat_id);
        this.chatActions.push({ chatId, action: String(params.action) });
        return ok(res, true);
      }
      default:
        return reply(res, 404, { ok: false, error_code: 404, description: "Not Found: method not found" });
    }
  }

  private async getUpdates(req: IncomingMessage, res: ServerResponse, params: Json): Promise<void> {
    const offset = Number(params.offset ?? 0);
    const limit = Math.min(Number(params.limit ?? 100), 100);
    const timeoutS = Number(params.timeout ?? 0);
    // Confirming: updates with an id below `offset` are forgotten, as on the real server.
    while (this.updates.length && Number(this.updates[0]?.update_id) < offset) this.updates.shift();
    if (this.updates.length === 0 && timeoutS > 0) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, timeoutS * 1000);
        this.waiters.add(wake);
        req.socket.once("close", wake);
      });
    }
    if (res.destroyed || req.socket.destroyed) return;
    return ok(res, this.updates.slice(0, limit));
  }

  private async sendMessage(res: ServerResponse, params: Json): Promise<void> {
    const chatId = Number(params.chat_id);
    const text = typeof params.text === "string" ? params.text : "";
    if (!Number.isFinite(chatId)) return badRequest(res, "Bad Request: chat not found");
    if (text.trim() === "") return badRequest(res, "Bad Request: message text is empty");
    if ([...text].length > TELEGRAM_MAX_TEXT) return badRequest(res, "Bad Request: message is too long");
    const message = { messageId: this.nextMessageId++, chatId, text, history: [text] };
    this.sent.push(message);
    return ok(res, this.messageJson(message));
  }

  private async editMessageText(res: ServerResponse, params: Json): Promise<void> {
    const chatId = Number(params.chat_id);
    const messageId = Number(params.message_id);
    const text = typeof params.text === "string" ? params.text : "";
    const message = this.sent.find((m) => m.chatId === chatId && m.messageId === messageId);
    if (!message) return badRequest(res, "Bad Request: message to edit not found");
    if (text.trim() === "") return badRequest(res, "Bad Request: message text is empty");
    if ([...text].length > TELEGRAM_MAX_TEXT) return badRequest(res, "Bad Request: message is too long");
    if (text === message.text) {
      return badRequest(
        res,
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
      );
    }
    message.text = text;
    message.history.push(text);
    return ok(res, { ...this.messageJson(message), edit_date: Math.floor(Date.now() / 1000) });
  }

  private messageJson(message: SentTelegramMessage): Json {
    return {
      message_id: message.messageId,
      date: Math.floor(Date.now() / 1000),
      from: { id: this.botId, is_bot: true, first_name: "clawbox", username: this.botUsername },
      chat: { id: message.chatId, type: message.chatId > 0 ? "private" : "group" },
      text: message.text,
    };
  }
}

function mentionEntities(text: string, botUsername: string): Json[] {
  const mention = `@${botUsername}`;
  const at = text.indexOf(mention);
  return at < 0 ? [] : [{ type: "mention", offset: at, length: mention.length }];
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  if (body === "") return Object.fromEntries(new URL(req.url ?? "/", "http://x").searchParams);
  return JSON.parse(body) as Json;
}

function ok(res: ServerResponse, result: unknown): void {
  reply(res, 200, { ok: true, result });
}

function badRequest(res: ServerResponse, description: string): void {
  reply(res, 400, { ok: false, error_code: 400, description });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
