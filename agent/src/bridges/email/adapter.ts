import { ImapFlow } from "imapflow";
import { type ParsedMail, simpleParser } from "mailparser";
import nodemailer, { type Transporter } from "nodemailer";
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
import { dkimVerifiedSender, isAutomatedMail } from "./auto-mail.js";

export interface EmailConfig {
  type: "email";
  /** The bot's address (From of replies; mail from it is ignored). */
  address: string;
  imap: { host: string; port: number; secure: boolean; user: string; password: string; mailbox?: string };
  smtp: { host: string; port: number; secure: boolean; user?: string; password?: string };
  /**
   * authserv-id of the receiving server's Authentication-Results (RFC 8601), e.g. "mx.example.org". Only
   * its `dkim=pass` makes a sender identifiable (allowlist/pairing); headers from others are ignored.
   */
  authservId: string;
  /** Largest reply body, chars. Default 20 000. */
  maxTextLength?: number;
}

/**
 * E-mail bridge: imapflow watches the mailbox (IMAP IDLE), new unseen mail is parsed (mailparser) and marked
 * \Seen; replies go out by SMTP (nodemailer) threaded with In-Reply-To/References and marked
 * `Auto-Submitted: auto-replied` (RFC 3834). Automated mail (Auto-Submitted, bulk, lists) is ignored to avoid
 * loops. A sender is identified only by a DKIM pass from the trusted `authservId`; others have no stable id.
 */
export class EmailAdapter extends AdapterHooks<EmailConfig> implements ChannelAdapter {
  readonly type = "email";
  readonly capabilities: ChannelCapabilities;
  private imap: ImapFlow | undefined;
  private smtp: Transporter | undefined;
  private readonly subjects = new Map<string, string>();
  private draining = Promise.resolve();

  constructor(config: EmailConfig, ctx: AdapterContext) {
    super(config, ctx);
    this.capabilities = {
      maxTextLength: config.maxTextLength ?? 20_000,
      canEdit: false,
      canTyping: false,
      threads: true,
      format: "plain",
    };
  }

  selfId(): BotIdentity {
    return { id: this.config.address.toLowerCase(), name: this.config.address };
  }

  async start(signal: AbortSignal): Promise<void> {
    const c = this.config;
    const imap = new ImapFlow({
      host: c.imap.host,
      port: c.imap.port,
      secure: c.imap.secure,
      doSTARTTLS: c.imap.secure ? undefined : false,
      auth: { user: c.imap.user, pass: c.imap.password },
      logger: false,
      // Enter IDLE 1 s after the last command instead of imapflow's 15 s, so new mail is seen at once.
      autoIdleDelay: 1000,
    });
    this.imap = imap;
    imap.on("error", () => {});
    const onAbort = () => void imap.logout().catch(() => {});
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await imap.connect();
    } catch (err) {
      const e = err as Error & { authenticationFailed?: boolean };
      if (e.authenticationFailed) {
        throw new UserError(
          `e-mail bridge "${this.id}": the IMAP server refused the login of ${c.imap.user}`,
          {
            code: ErrorCode.BRIDGE_AUTH,
            fix: "check imap.user and imap.password",
          },
        );
      }
      throw new Error(`IMAP ${c.imap.host}:${c.imap.port}: ${e.message}`);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    await imap.mailboxOpen(c.imap.mailbox ?? "INBOX");
    this.smtp = nodemailer.createTransport({
      host: c.smtp.host,
      port: c.smtp.port,
      secure: c.smtp.secure,
      ignoreTLS: !c.smtp.secure,
      auth: c.smtp.user ? { user: c.smtp.user, pass: c.smtp.password ?? "" } : undefined,
    });
    imap.on("exists", () => this.drain());
    imap.on("close", () => this.statusHandler?.("disconnected", new Error("IMAP connection closed")));
    this.drain();
    await this.draining;
  }

  /** Processes every unseen message, one pass at a time. */
  private drain(): void {
    this.draining = this.draining.then(() => this.processUnseen()).catch(() => {});
  }

  private async processUnseen(): Promise<void> {
    const imap = this.imap;
    if (!imap?.usable) return;
    const uids = (await imap.search({ seen: false }, { uid: true })) || [];
    for (const uid of uids) {
      const msg = await imap.fetchOne(String(uid), { source: true }, { uid: true });
      await imap.messageFlagsAdd(String(uid), ["\\Seen"], { uid: true });
      // biome-ignore lint/complexity/useOptionalChain: msg may be false (vanished message), not only undefined
      if (!msg || !msg.source) continue;
      const mail: ParsedMail = await simpleParser(msg.source);
      const get = (n: string) => {
        const v = mail.headers.get(n);
        return v === undefined ? undefined : typeof v === "string" ? v : JSON.stringify(v);
      };
      const from = mail.from?.value[0]?.address?.toLowerCase() ?? "";
      if (!from || from === this.config.address.toLowerCase()) continue;
      const results = (mail.headerLines ?? [])
        .filter((h) => h.key === "authentication-results")
        .map((h) => h.line.replace(/^authentication-results:\s*/i, "").replace(/\r?\n\s+/g, " "));
      const messageId = mail.messageId ?? `<uid-${uid}@${this.id}>`;
      const subject = mail.subject ?? "";
      this.subjects.set(messageId, subject);
      await this.handler?.({
        id: messageId,
        chatId: from,
        senderId: dkimVerifiedSender(results, from, this.config.authservId),
        senderName: mail.from?.value[0]?.name || from,
        isDirect: true,
        mentionsBot: true,
        isBot: isAutomatedMail(get),
        text: (mail.text ?? "").trim(),
        threadId: messageId,
      });
    }
  }

  async send(m: OutboundMessage): Promise<string> {
    const smtp = this.smtp;
    if (!smtp) throw new Error("e-mail bridge not started");
    const subject = m.threadId ? this.subjects.get(m.threadId) : undefined;
    const messageId = `<${(m.outboxId ?? `${Date.now()}`).replace(/[^A-Za-z0-9.-]/g, ".")}@clawbox.invalid>`;
    await smtp.sendMail({
      from: this.config.address,
      to: m.chatId,
      subject: subject ? (/^re:/i.test(subject) ? subject : `Re: ${subject}`) : "Re: your message",
      text: m.text,
      messageId,
      inReplyTo: m.threadId,
      references: m.threadId,
      headers: { "Auto-Submitted": "auto-replied" },
    });
    return messageId;
  }

  async stop(): Promise<void> {
    const imap = this.imap;
    this.imap = undefined;
    imap?.removeAllListeners("close");
    await imap?.logout().catch(() => {});
    this.smtp?.close();
    this.smtp = undefined;
  }
}
