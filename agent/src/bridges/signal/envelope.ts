import type { InboundMessage } from "../types.js";
import type { SseEvent } from "./sse-parser.js";

/** The bot's own account as the daemon reported it. */
export interface SignalSelf {
  /** E.164 number of the account. */
  number: string;
  /** ACI UUID, when the daemon told it (multi-account `listAccounts`). */
  aci?: string;
}

/** The part of a `receive` notification's envelope the bridge reads (signal-cli JsonMessageEnvelope). */
interface Envelope {
  source?: string;
  sourceNumber?: string | null;
  sourceUuid?: string | null;
  sourceName?: string | null;
  timestamp?: number;
  dataMessage?: {
    timestamp?: number;
    message?: string | null;
    groupInfo?: { groupId?: string; groupName?: string; type?: string } | null;
    mentions?: {
      name?: string;
      number?: string | null;
      uuid?: string | null;
      start?: number;
      length?: number;
    }[];
    quote?: { authorNumber?: string | null; authorUuid?: string | null } | null;
  } | null;
}

/** UUID shape of an ACI (RFC 4122 text form). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Turns one SSE event of `GET /api/v1/events` into an InboundMessage, or undefined for anything that is not
 * a text message to the bot (receipts, typing, sync messages of the bot's other devices, reactions,
 * attachments without text, events of another account on a multi-account daemon). The data is either the
 * JSON-RPC notification `{method:"receive", params:{envelope, account}}` or its params alone.
 * - senderId: the sender's ACI (`sourceUuid`); their E.164 number instead when that number is in
 *   `allowFrom` (numbers are accepted in allowlists); the bot's own id for its own messages.
 * - chatId: the sender's ACI (or number) for a DM, `group:<groupId>` for a group.
 * - id: `<sender>:<timestamp>` (Signal identifies a message by author and sent timestamp).
 * - mentionsBot: a DM, a mention of the bot's ACI/number, or a quote of the bot's message; the mention's
 *   placeholder (U+FFFC at start/length) is removed from the text.
 */
export function parseSignalEvent(
  event: SseEvent,
  config: { account: string; allowFrom?: string[] },
  self: SignalSelf | undefined,
): InboundMessage | undefined {
  if (event.event !== "receive" && event.event !== "message") return undefined;
  let data: { method?: string; params?: unknown; envelope?: unknown; account?: unknown };
  try {
    data = JSON.parse(event.data);
  } catch {
    return undefined;
  }
  const params = (data.method === "receive" ? data.params : data) as
    | { envelope?: Envelope; account?: string }
    | undefined;
  if (params?.account && params.account !== config.account && params.account !== self?.aci) return undefined;
  const env = params?.envelope;
  const dm = env?.dataMessage;
  if (!env || !dm || typeof dm.message !== "string" || dm.message.trim() === "") return undefined;
  const uuid = env.sourceUuid && UUID.test(env.sourceUuid) ? env.sourceUuid : undefined;
  const number = env.sourceNumber ?? (env.source?.startsWith("+") ? env.source : undefined);
  const isSelf = (n?: string | null, u?: string | null) =>
    (!!n && n === config.account) || (!!u && !!self?.aci && u === self.aci);
  const own = isSelf(number, uuid);
  const allowedNumber = number && config.allowFrom?.includes(number) ? number : undefined;
  const senderId = own ? (self?.aci ?? config.account) : (allowedNumber ?? uuid ?? "");
  const group = dm.groupInfo?.groupId;
  const peer = uuid ?? number ?? "";
  if (!group && peer === "") return undefined;
  const botMentions = (dm.mentions ?? []).filter((m) => isSelf(m.number, m.uuid));
  let text = dm.message;
  for (const m of [...botMentions].sort((a, b) => (b.start ?? 0) - (a.start ?? 0))) {
    if (typeof m.start === "number" && typeof m.length === "number") {
      text = text.slice(0, m.start) + text.slice(m.start + m.length);
    }
  }
  const quoted = isSelf(dm.quote?.authorNumber, dm.quote?.authorUuid);
  const timestamp = dm.timestamp ?? env.timestamp ?? 0;
  return {
    id: `${peer}:${timestamp}`,
    chatId: group ? `group:${group}` : peer,
    senderId,
    senderName: env.sourceName ?? undefined,
    isDirect: !group,
    mentionsBot: !group || botMentions.length > 0 || quoted,
    isBot: false,
    text: text.trim(),
    timestamp,
  };
}
