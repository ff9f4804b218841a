import { createHmac, timingSafeEqual } from "node:crypto";

/** Header Meta signs webhook POSTs with: `sha256=` + hex HMAC-SHA256(app secret, raw body). */
export const META_SIGNATURE_HEADER = "x-hub-signature-256";

/**
 * True when `header` is `sha256=<hex>` and equals HMAC-SHA256(appSecret, rawBody) (Meta for Developers,
 * "Webhooks → Validate payloads"). The raw bytes are signed, so the body must not be re-serialised.
 * Constant-time comparison (`timingSafeEqual`); a missing or malformed header is false.
 */
export function verifyMetaSignature(appSecret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith("sha256=")) return false;
  const given = Buffer.from(header.slice(7), "hex");
  const expected = createHmac("sha256", appSecret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** One text message from a WhatsApp user. */
export interface WhatsAppText {
  /** wamid (message id; Meta may deliver the same webhook again). */
  id: string;
  /** Sender's WhatsApp id (wa_id, their phone number in digits). */
  from: string;
  /** Profile name from `contacts[]`, for display only. */
  name?: string;
  text: string;
  /** Unix seconds as Meta sends it, converted to ms. */
  timestamp: number;
}

/** A delivery status of a message the bot sent (`statuses[]`). */
export interface WhatsAppStatus {
  id: string;
  status: string;
  recipient: string;
  /** First error's code and text when `status` is "failed". */
  errorCode?: number;
  errorText?: string;
}

interface ChangeValue {
  metadata?: { phone_number_id?: string };
  contacts?: { wa_id?: string; profile?: { name?: string } }[];
  messages?: {
    id?: string;
    from?: string;
    timestamp?: string;
    type?: string;
    text?: { body?: string };
  }[];
  statuses?: {
    id?: string;
    status?: string;
    recipient_id?: string;
    errors?: { code?: number; title?: string; message?: string; error_data?: { details?: string } }[];
  }[];
}

/**
 * Reads a webhook notification (`{object:"whatsapp_business_account", entry:[{changes:[{field:"messages",
 * value:{metadata, contacts, messages, statuses}}]}]}`, WhatsApp Cloud API "Webhooks → messages"). Only
 * changes for `phoneNumberId` count (one app may serve several numbers). Text messages are returned;
 * other message types (image, audio, reaction, …) are counted in `ignored`.
 */
export function parseWebhook(
  body: unknown,
  phoneNumberId: string,
): { messages: WhatsAppText[]; statuses: WhatsAppStatus[]; ignored: number } {
  const out = { messages: [] as WhatsAppText[], statuses: [] as WhatsAppStatus[], ignored: 0 };
  const entries = (body as { entry?: unknown })?.entry;
  if (!Array.isArray(entries)) return out;
  for (const entry of entries) {
    const changes = (entry as { changes?: unknown })?.changes;
    if (!Array.isArray(changes)) continue;
    for (const change of changes as { field?: string; value?: ChangeValue }[]) {
      const value = change?.value;
      if (change?.field !== "messages" || !value) continue;
      if (value.metadata?.phone_number_id !== phoneNumberId) continue;
      const names = new Map((value.contacts ?? []).map((c) => [c.wa_id ?? "", c.profile?.name]));
      for (const m of value.messages ?? []) {
        if (m.type !== "text" || typeof m.text?.body !== "string" || !m.id || !m.from) {
          out.ignored++;
          continue;
        }
        out.messages.push({
          id: m.id,
          from: m.from,
          name: names.get(m.from) ?? undefined,
          text: m.text.body,
          timestamp: Number(m.timestamp ?? 0) * 1000,
        });
      }
      for (const s of value.statuses ?? []) {
        const e = s.errors?.[0];
        out.statuses.push({
          id: s.id ?? "",
          status: s.status ?? "",
          recipient: s.recipient_id ?? "",
          errorCode: e?.code,
          errorText: e ? (e.error_data?.details ?? e.message ?? e.title) : undefined,
        });
      }
    }
  }
  return out;
}
