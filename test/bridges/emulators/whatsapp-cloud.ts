import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small emulator of Meta's WhatsApp Cloud API (Graph API), both directions:
 * - Graph side (what the adapter calls): `GET /{version}/{phoneNumberId}` (display_phone_number,
 *   verified_name), `POST /{version}/{phoneNumberId}/messages` (text messages → `{messaging_product,
 *   contacts:[{input, wa_id}], messages:[{id: wamid}]}`; `status:"read"` + `typing_indicator` → `{success}`).
 *   Errors copy Graph's shape `{error:{message, type, code, error_data?, fbtrace_id}}`: a wrong token → 401
 *   code 190 (OAuthException), an unknown object id → 400 code 100, a body over 4096 chars → 400 code 100.
 * - Webhook side (what Meta calls): `userSends` POSTs a `whatsapp_business_account` notification signed
 *   `X-Hub-Signature-256: sha256=HMAC(appSecret, raw body)` to the adapter; `redeliver` posts the same body
 *   again (Meta retries until it gets 200); `verify` does the `hub.challenge` GET.
 *
 * Fidelity limits: text messages only, one phone number, no templates, no conversation-window tracking
 * (the 24-hour rule is scripted with `failNext`), no media.
 */

type Fault =
  /** HTTP 429 with Graph code 130429 ("Rate limit hit"), or 400 with 131056 ("pair rate limit hit"). */
  | { kind: "rate-limit"; code: 130429 | 131056; retryAfterSeconds?: number }
  /** 400 code 131047 ("Re-engagement message": the 24-hour window is closed). */
  | { kind: "reengagement" }
  /** HTTP 500 code 131000 ("Something went wrong"). */
  | { kind: "server-error" }
  /** Connection destroyed before the request is handled (nothing sent). */
  | { kind: "cut-before" }
  /** Message accepted, then the connection is destroyed before the answer. */
  | { kind: "cut-after" };

export interface SentWhatsAppMessage {
  id: string;
  to: string;
  text: string;
}

type Json = Record<string, unknown>;

export class WhatsAppCloudEmulator {
  readonly phoneNumberId = "106540352242922";
  readonly accessToken = "EAAG-test-access-token-0123456789";
  readonly appSecret = "app-secret-0123456789abcdef";
  readonly displayPhoneNumber = "+1 555-010-0199";
  readonly verifiedName = "Clawbox Test";
  readonly sent: SentWhatsAppMessage[] = [];
  /** Read receipts the bot sent, with whether they asked for a typing indicator. */
  readonly reads: { messageId: string; typing: boolean }[] = [];
  readonly calls = new Map<string, number>();
  /** Where webhooks go (the adapter's listen address), set by the test. */
  webhookUrl = "";
  private server: Server | undefined;
  private readonly faults: Fault[] = [];
  private readonly delivered = new Map<string, string>();
  private nextId = 1;

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return this.graphApiUrl;
  }

  /** Value for the adapter's `graphApiUrl`. */
  get graphApiUrl(): string {
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

  /** Scripts the next `POST /messages` text send to fail. */
  failNext(fault: Fault): void {
    this.faults.push(fault);
  }

  sentTo(waId: string): SentWhatsAppMessage[] {
    return this.sent.filter((m) => m.to === waId);
  }

  /**
   * A user writes to the business number: POSTs the signed notification to `webhookUrl`. Resolves with the
   * wamid and the adapter's HTTP status. `signature: null` sends none; a string replaces the right one.
   */
  async userSends(
    from: string,
    text: string,
    opts: { name?: string; signature?: string | null } = {},
  ): Promise<{ wamid: string; status: number }> {
    const wamid = `wamid.HBgL${from}${(this.nextId++).toString(16).padStart(6, "0")}${randomBytes(6).toString("hex")}`;
    const body = JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          id: "102290129340398",
          changes: [
            {
              field: "messages",
              value: {
                messaging_product: "whatsapp",
                metadata: {
                  display_phone_number: this.displayPhoneNumber.replace(/\D/g, ""),
                  phone_number_id: this.phoneNumberId,
                },
                contacts: [{ profile: { name: opts.name ?? "User" }, wa_id: from }],
                messages: [
                  {
                    from,
                    id: wamid,
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    type: "text",
                    text: { body: text },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    this.delivered.set(wamid, body);
    return { wamid, status: await this.post(body, opts.signature) };
  }

  /** Meta retrying a webhook: the same body (same wamid), signed again. Resolves with the HTTP status. */
  redeliver(wamid: string): Promise<number> {
    const body = this.delivered.get(wamid);
    if (!body) throw new Error(`no webhook with ${wamid} was delivered`);
    return this.post(body);
  }

  /** A `statuses[]` notification: the message `wamid` failed with `code` (e.g. 131047). */
  deliverFailedStatus(wamid: string, to: string, code: number, title: string): Promise<number> {
    const value = {
      messaging_product: "whatsapp",
      metadata: {
        display_phone_number: this.displayPhoneNumber.replace(/\D/g, ""),
        phone_number_id: this.phoneNumberId,
      },
      statuses: [
        {
          id: wamid,
          status: "failed",
          timestamp: String(Math.floor(Date.now() / 1000)),
          recipient_id: to,
          errors: [{ code, title, message: title, error_data: { details: title } }],
        },
      ],
    };
    return this.post(
      JSON.stringify({
        object: "whatsapp_business_account",
        entry: [{ id: "1", changes: [{ field: "messages", value }] }],
      }),
    );
  }

  /** Meta's subscription check (GET with hub.mode/verify_token/challenge); resolves with status and body. */
  async verify(verifyToken: string, challenge: string): Promise<{ status: number; body: string }> {
    const q = new URLSearchParams({
      "hub.mode": "subscribe",
      "hub.verify_token": verifyToken,
      "hub.challenge": challenge,
    });
    const res = await fetch(`${this.webhookUrl}?${q}`);
    return { status: res.status, body: await res.text() };
  }

  /** Signature Meta would put on `body`. */
  sign(body: string): string {
    return `sha256=${createHmac("sha256", this.appSecret).update(body).digest("hex")}`;
  }

  private async post(body: string, signature?: string | null): Promise<number> {
    if (!this.webhookUrl) throw new Error("webhookUrl not set");
    const sig = signature === undefined ? this.sign(body) : signature;
    const res = await fetch(this.webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(sig === null ? {} : { "x-hub-signature-256": sig }),
      },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const match = /^\/v\d+\.\d+\/([^/]+)(\/messages)?$/.exec(path);
    const key = match?.[2] ? "messages" : "node";
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    if (!match) return graphError(res, 404, 100, "Unknown path components");
    if (req.headers.authorization !== `Bearer ${this.accessToken}`) {
      return graphError(
        res,
        401,
        190,
        "Invalid OAuth access token - Cannot parse access token",
        "OAuthException",
      );
    }
    if (match[1] !== this.phoneNumberId) {
      return graphError(
        res,
        400,
        100,
        `Unsupported get request. Object with ID '${match[1]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      );
    }
    if (req.method === "GET" && !match[2]) {
      return json(res, 200, {
        display_phone_number: this.displayPhoneNumber,
        verified_name: this.verifiedName,
        id: this.phoneNumberId,
      });
    }
    if (req.method !== "POST" || !match[2]) return graphError(res, 400, 100, "Unsupported request");
    let body = "";
    for await (const c of req) body += c;
    let p: Json;
    try {
      p = JSON.parse(body);
    } catch {
      return graphError(res, 400, 100, "Invalid JSON");
    }
    if (p.messaging_product !== "whatsapp")
      return graphError(res, 400, 100, "The parameter messaging_product is required.");
    if (p.status === "read") {
      const typing = (p.typing_indicator as { type?: string } | undefined)?.type === "text";
      this.reads.push({ messageId: String(p.message_id), typing });
      return json(res, 200, { success: true });
    }
    const fault = this.faults.shift();
    if (fault?.kind === "cut-before") return void req.socket.destroy();
    if (fault?.kind === "rate-limit") {
      const status = fault.code === 130429 ? 429 : 400;
      const headers: Record<string, string> = fault.retryAfterSeconds
        ? { "retry-after": String(fault.retryAfterSeconds) }
        : {};
      const message =
        fault.code === 130429 ? "Rate limit hit" : "(Business Account, Consumer Account) pair rate limit hit";
      return graphError(res, status, fault.code, message, "OAuthException", headers);
    }
    if (fault?.kind === "reengagement") {
      return graphError(
        res,
        400,
        131047,
        "Re-engagement message",
        "OAuthException",
        {},
        "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
      );
    }
    if (fault?.kind === "server-error") return graphError(res, 500, 131000, "Something went wrong");
    const to = String(p.to ?? "");
    const text = (p.text as { body?: unknown } | undefined)?.body;
    if (p.type !== "text" || typeof text !== "string" || text === "") {
      return graphError(res, 400, 100, "Param text['body'] is required");
    }
    if (text.length > 4096)
      return graphError(res, 400, 100, "Param text['body'] must be at most 4096 characters long.");
    const id = `wamid.HBgL${to}${(this.nextId++).toString(16).padStart(6, "0")}`;
    this.sent.push({ id, to, text });
    if (fault?.kind === "cut-after") return void req.socket.destroy();
    return json(res, 200, {
      messaging_product: "whatsapp",
      contacts: [{ input: to, wa_id: to }],
      messages: [{ id }],
    });
  }
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

function graphError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  type = "OAuthException",
  headers: Record<string, string> = {},
  details?: string,
): void {
  json(
    res,
    status,
    {
      error: {
        message,
        type,
        code,
        ...(details ? { error_data: { messaging_product: "whatsapp", details } } : {}),
        fbtrace_id: "AbCdEfGhIjK",
      },
    },
    headers,
  );
}
