import IRC, { type Client, type IrcMessageEvent } from "irc-framework";
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

export interface IrcConfig {
  type: "irc";
  host: string;
  port: number;
  tls: boolean;
  nick: string;
  /** USER name; default = nick. */
  username?: string;
  realname?: string;
  /** Server password (PASS); secret. */
  password?: string;
  /** SASL PLAIN login of the bot itself (account + password; the password is a secret). */
  sasl?: { account: string; password: string };
  /** Channels to join; the bot answers there when addressed ("clawbox: …"). */
  channels?: string[];
  /**
   * Where a sender's stable id comes from. "account" (default): the services/SASL account the server
   * attaches (IRCv3 account-tag); senders without one cannot be allowlisted or paired. "verified-user":
   * `user@host` when the server verified the user name (no "~" prefix: ident or PAM) — for servers
   * without services such as ngIRCd; only as trustworthy as the hosts on that network.
   */
  identity?: "account" | "verified-user";
  /** Bytes of text per line. Default 350 (RFC 2812 §2.3: 512-byte lines including prefix and command). */
  maxLineBytes?: number;
}

/**
 * IRC bridge on irc-framework. DMs (PRIVMSG to the bot's nick) are direct messages; in channels the bot
 * answers lines addressed to it (`nick: text`, `nick, text`). NOTICEs are never answered (RFC 2812 §3.3.2:
 * automatic replies must not be sent to them), nor messages tagged IRCv3 `bot`. Replies are one PRIVMSG
 * per line of at most `maxLineBytes` UTF-8 bytes (the core splits them).
 */
export class IrcAdapter extends AdapterHooks<IrcConfig> implements ChannelAdapter {
  readonly type = "irc";
  readonly capabilities: ChannelCapabilities;
  private client: Client | undefined;
  private seq = 0;
  private me: BotIdentity | undefined;
  /** Whether the server attaches services accounts to messages (IRCv3 account-tag), known after start. */
  private accountTags = false;
  readonly identityHelp: string;

  constructor(config: IrcConfig, ctx: AdapterContext) {
    super(config, ctx);
    this.capabilities = {
      maxTextLength: config.maxLineBytes ?? 350,
      lengthUnit: "bytes",
      singleLine: true,
      canEdit: false,
      canTyping: false,
      threads: false,
      format: "plain",
    };
    this.identityHelp =
      (config.identity ?? "account") === "account"
        ? "I only answer people I can recognise, and this IRC network tells me no account for you. " +
          "Log in to the network's services (e.g. /msg NickServ IDENTIFY, or SASL in your client), then write again."
        : "I only answer people I can recognise, and the server could not verify your user name (it shows " +
          'a "~"). Connect with a verified user name (an ident server, or the account the server checks), then write again.';
  }

  /**
   * Warns when the bridge identifies senders by services account but the server attaches none (no IRCv3
   * account-tag capability, as on ngIRCd and other servers without services): every stranger is then
   * refused, and the owner should know why and what the alternative costs.
   */
  warnings(): string[] {
    if ((this.config.identity ?? "account") !== "account" || this.accountTags) return [];
    return [
      `IRC server ${this.config.host} offers no account identity (no IRCv3 account-tag; servers without ` +
        "services such as ngIRCd): strangers cannot be paired or allowlisted and are told to identify. " +
        "Fix: set identity: verified-user — only if every user of this server connects with a user name it " +
        'verifies (ident or PAM, no "~" prefix), since user@host is then the only proof of who writes.',
    ];
  }

  selfId(): BotIdentity | undefined {
    return this.me;
  }

  async start(signal: AbortSignal): Promise<void> {
    const c = this.config;
    // irc-framework's connect() replaces the constructor's options and defaults auto_reconnect to
    // true, so the policy goes to connect() itself: the bridge runner owns reconnects (with its
    // backoff and status), and a connection irc-framework silently re-opened would never be reported.
    const policy = { auto_reconnect: false, ping_interval: 30, ping_timeout: 120 };
    const client = new IRC.Client(policy);
    this.client = client;
    await new Promise<void>((resolve, reject) => {
      const detach = () => {
        client.off("registered", onRegistered);
        client.off("close", onClose);
        client.off("irc error", onIrcError);
        client.off("nick in use", onNickInUse);
        signal.removeEventListener("abort", onAbort);
      };
      const fail = (err: Error) => {
        detach();
        client.connection?.transport?.socket?.destroy();
        reject(err);
      };
      const onRegistered = () => {
        detach();
        resolve();
      };
      const onClose = () =>
        fail(
          new UserError(
            `IRC ${c.host}:${c.port}: connection closed before registration (unreachable host or refused)`,
            {
              code: ErrorCode.BRIDGE_UNREACHABLE,
              fix: "check the host and port (and tls) of the IRC server, and that it is running",
            },
          ),
        );
      const onIrcError = (e: { error?: string; reason?: string }) => {
        if (e.error !== "sasl_fail") return;
        fail(
          new UserError(`IRC bridge "${this.id}": SASL login refused`, {
            code: ErrorCode.BRIDGE_AUTH,
            fix: "check sasl.account and sasl.password",
          }),
        );
      };
      const onNickInUse = () => fail(new Error(`IRC ${c.host}:${c.port}: nick ${c.nick} is in use`));
      const onAbort = () => fail(new Error(`IRC ${c.host}:${c.port}: stopped`));
      client.on("registered", onRegistered);
      client.on("close", onClose);
      client.on("irc error", onIrcError);
      client.on("nick in use", onNickInUse);
      signal.addEventListener("abort", onAbort, { once: true });
      client.connect({
        ...policy,
        host: c.host,
        port: c.port,
        tls: c.tls,
        nick: c.nick,
        username: c.username ?? c.nick,
        gecos: c.realname ?? "clawbox assistant",
        password: c.password,
        account: c.sasl ? { account: c.sasl.account, password: c.sasl.password } : undefined,
      });
    });
    this.me = { id: c.sasl?.account ?? "", name: client.user.nick };
    this.accountTags = client.network.cap.isEnabled("account-tag");
    client.on("privmsg", (e: IrcMessageEvent) => void this.onPrivmsg(e));
    client.on("close", () => this.statusHandler?.("disconnected", new Error("IRC connection closed")));
    for (const ch of c.channels ?? []) client.join(ch);
  }

  private senderId(e: IrcMessageEvent): string {
    if ((this.config.identity ?? "account") === "account")
      return e.account && e.account !== "*" ? e.account : "";
    return e.ident && !e.ident.startsWith("~") ? `${e.ident}@${e.hostname}` : "";
  }

  private async onPrivmsg(e: IrcMessageEvent): Promise<void> {
    const nick = this.client?.user.nick ?? this.config.nick;
    if (e.nick.toLowerCase() === nick.toLowerCase()) return;
    const isDirect = e.target.toLowerCase() === nick.toLowerCase();
    let text = e.message;
    let mentionsBot = isDirect;
    const addressed = new RegExp(`^${nick.replace(/[^a-zA-Z0-9]/g, "\\$&")}[:,]\\s*`, "i");
    if (!isDirect && addressed.test(text)) {
      mentionsBot = true;
      text = text.replace(addressed, "");
    }
    await this.handler?.({
      id: typeof e.tags.msgid === "string" ? e.tags.msgid : `${Date.now()}-${++this.seq}`,
      chatId: isDirect ? e.nick : e.target,
      senderId: this.senderId(e),
      senderName: e.nick,
      isDirect,
      mentionsBot,
      isBot: e.tags.bot !== undefined,
      text,
    });
  }

  async send(m: OutboundMessage): Promise<string> {
    const client = this.client;
    if (!client?.connected) throw new Error("IRC not connected");
    client.say(m.chatId, m.text);
    return `${Date.now()}-${++this.seq}`;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    client.removeAllListeners();
    if (client.connected) client.quit("clawbox stopping");
    client.connection?.transport?.socket?.destroy();
  }
}
