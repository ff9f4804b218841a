import { client, type XmlElement, type XmppClient, xml } from "@xmpp/client";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { AdapterHooks } from "../adapter-hooks.js";
import type {
  AdapterContext,
  BotIdentity,
  ChannelAdapter,
  ChannelCapabilities,
  OutboundMessage,
} from "../types.js";

export interface XmppConfig {
  type: "xmpp";
  /** Server, e.g. "xmpp://chat.example.org:5222" (STARTTLS when offered) or "xmpps://…:5223". */
  service: string;
  /** XMPP domain of the bot's account (the part after @). */
  domain: string;
  /** Local part of the bot's JID. */
  username: string;
  /** Account password (secret). */
  password: string;
  /** Resource; default "clawbox". */
  resource?: string;
  /** Largest message body, chars. Default 4000 (a readable chat message; servers accept far more). */
  maxTextLength?: number;
}

const CHAT_STATES = "http://jabber.org/protocol/chatstates";

/**
 * XMPP bridge on @xmpp/client: one-to-one `chat`/`normal` messages with a body; the sender's stable id is
 * their bare JID (authenticated by their server). Group chat (MUC) is not handled yet. Typing is shown
 * with XEP-0085 `<composing/>`; replies carry their outbox id as stanza id (XEP-0359-style dedup).
 * The library's own reconnect is turned off: the core's runner reconnects (backoff) and flushes the outbox.
 */
export class XmppAdapter extends AdapterHooks<XmppConfig> implements ChannelAdapter {
  readonly type = "xmpp";
  readonly capabilities: ChannelCapabilities;
  private xmpp: XmppClient | undefined;
  private me: BotIdentity | undefined;
  private seq = 0;

  constructor(config: XmppConfig, ctx: AdapterContext) {
    super(config, ctx);
    this.capabilities = {
      maxTextLength: config.maxTextLength ?? 4000,
      canEdit: false,
      canTyping: true,
      threads: false,
      format: "plain",
    };
  }

  selfId(): BotIdentity | undefined {
    return this.me;
  }

  async start(signal: AbortSignal): Promise<void> {
    const c = this.config;
    const xmpp = client({
      service: c.service,
      domain: c.domain,
      username: c.username,
      password: c.password,
      resource: c.resource ?? "clawbox",
    });
    xmpp.reconnect.stop();
    this.xmpp = xmpp;
    let online = false;
    xmpp.on("error", () => {}); // reported through start()'s rejection or the offline event
    xmpp.on("stanza", (s: XmlElement) => void this.onStanza(s));
    xmpp.on("offline", () => {
      if (online) this.statusHandler?.("disconnected", new Error("XMPP connection closed"));
    });
    xmpp.on("disconnect", () => {
      if (online) this.statusHandler?.("disconnected", new Error("XMPP connection lost"));
    });
    const onAbort = () => void xmpp.stop().catch(() => {});
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const address = await xmpp.start();
      online = true;
      this.me = { id: address.bare().toString(), name: c.username };
      await xmpp.send(xml("presence"));
    } catch (err) {
      const e = err as Error & { condition?: string };
      if (e.name === "SASLError" || e.condition === "not-authorized") {
        throw new UserError(
          `XMPP bridge "${this.id}": the server refused the login of ${c.username}@${c.domain}`,
          {
            code: ErrorCode.BRIDGE_AUTH,
            fix: "check username, domain and password of the bot's XMPP account",
          },
        );
      }
      throw new Error(`XMPP ${c.service}: ${e.message}`);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  private async onStanza(s: XmlElement): Promise<void> {
    if (!s.is("message")) return;
    const type = s.attrs.type ?? "normal";
    if (type !== "chat" && type !== "normal") return; // error, headline, groupchat
    const body = s.getChildText("body");
    const from = s.attrs.from;
    if (body === null || !from) return;
    const bare = from.split("/")[0] as string;
    await this.handler?.({
      id: s.attrs.id ?? `${Date.now()}-${++this.seq}`,
      chatId: bare,
      senderId: bare,
      senderName: bare.split("@")[0],
      isDirect: true,
      mentionsBot: true,
      isBot: false,
      text: body,
    });
  }

  async send(m: OutboundMessage): Promise<string> {
    const xmpp = this.xmpp;
    if (xmpp?.status !== "online") throw new Error("XMPP not connected");
    const id = m.outboxId ?? `clawbox-${Date.now()}-${++this.seq}`;
    await xmpp.send(
      xml(
        "message",
        { to: m.chatId, type: "chat", id },
        xml("body", {}, m.text),
        xml("active", { xmlns: CHAT_STATES }),
      ),
    );
    return id;
  }

  async typing(chatId: string): Promise<void> {
    const xmpp = this.xmpp;
    if (xmpp?.status !== "online") return;
    await xmpp.send(xml("message", { to: chatId, type: "chat" }, xml("composing", { xmlns: CHAT_STATES })));
  }

  async stop(): Promise<void> {
    const xmpp = this.xmpp;
    this.xmpp = undefined;
    if (!xmpp) return;
    xmpp.removeAllListeners();
    xmpp.on("error", () => {});
    await xmpp.stop().catch(() => {});
  }
}
