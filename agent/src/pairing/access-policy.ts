import { RateLimiter } from "../bridges/rate-limiter.js";
import type { BotIdentity, DmPolicy, InboundMessage } from "../bridges/types.js";
import type { PairingOutcome, PairingStore } from "./pairing-store.js";

export type AccessDecision =
  | { kind: "allow" }
  | { kind: "ignore"; reason: string }
  /** Unknown sender under dmPolicy "pairing": `reply` is the text to send back, null = stay silent. */
  | { kind: "pair"; outcome: PairingOutcome; reply: string | null }
  /** A sender who cannot be paired (no stable identity): `reply` says what they must do, null = silent. */
  | { kind: "refuse"; reason: string; reply: string | null };

export interface AccessPolicyOptions {
  bridgeId: string;
  dmPolicy: DmPolicy;
  /** Stable sender ids from the config (never nicks or display names). */
  allowFrom?: string[];
  /** Answer in groups/channels when mentioned. Default true. */
  groups?: boolean;
  pairing: PairingStore;
  selfId: () => BotIdentity | undefined;
  /** The adapter's answer for senders without a stable identity (ChannelAdapter.identityHelp). */
  identityHelp?: string;
  /** Same code (or identity help) repeated to one sender at most this often, ms. Default 600 000 (10 min). */
  repeatCodeAfterMs?: number;
  now?: () => number;
}

/**
 * Decides who reaches the model (access control: only those the owner allows may use the device's model):
 * - the bot's own messages and other bots' are ignored;
 * - a DM follows `dmPolicy`: `open` = everyone; `allowlist` = `allowFrom` + approved senders; `pairing`
 *   (default) = those, and an unknown sender gets a pairing code instead of an answer; `disabled` = nobody;
 * - in groups the bot answers only when mentioned, and only to allowed senders (pairing codes are never
 *   posted in a group) unless dmPolicy is `open`;
 * - a sender without a stable id ("") is never allowed except under `open`; under `pairing` they are told
 *   once (per chat, `repeatCodeAfterMs`) what to do to get one (`identityHelp`), where the adapter says.
 * Pairing replies are rate limited: a new code is announced once; the same code at most every
 * `repeatCodeAfterMs`; per bridge at most 5 pairing replies a minute; with 3 codes pending, silence.
 */
export class AccessPolicy {
  private readonly allow: Set<string>;
  private readonly lastCodeReply = new Map<string, number>();
  private readonly bridgeReplies: RateLimiter;
  private readonly now: () => number;

  constructor(private readonly opts: AccessPolicyOptions) {
    this.allow = new Set(opts.allowFrom ?? []);
    this.now = opts.now ?? Date.now;
    this.bridgeReplies = new RateLimiter(5, 12_000, this.now);
  }

  /** True when `senderId` is in allowFrom or was approved by pairing. */
  isAllowed(senderId: string): boolean {
    if (senderId === "") return false;
    return this.allow.has(senderId) || this.opts.pairing.isApproved(this.opts.bridgeId, senderId);
  }

  decide(msg: InboundMessage): AccessDecision {
    const self = this.opts.selfId();
    if (self && msg.senderId !== "" && msg.senderId === self.id)
      return { kind: "ignore", reason: "own message" };
    if (msg.isBot) return { kind: "ignore", reason: "bot sender" };
    const policy = this.opts.dmPolicy;
    if (!msg.isDirect) {
      if (this.opts.groups === false) return { kind: "ignore", reason: "groups disabled" };
      if (!msg.mentionsBot) return { kind: "ignore", reason: "not mentioned" };
      if (policy === "open" || this.isAllowed(msg.senderId)) return { kind: "allow" };
      return { kind: "ignore", reason: "group sender not allowed" };
    }
    if (policy === "disabled") return { kind: "ignore", reason: "direct messages disabled" };
    if (policy === "open") return { kind: "allow" };
    if (this.isAllowed(msg.senderId)) return { kind: "allow" };
    if (policy === "allowlist") return { kind: "ignore", reason: "sender not on the allowlist" };
    if (msg.senderId === "") return this.refuseUnidentified(msg.chatId);
    const outcome = this.opts.pairing.request(this.opts.bridgeId, {
      id: msg.senderId,
      name: msg.senderName,
      chatId: msg.chatId,
    });
    if (outcome.kind === "full") return { kind: "pair", outcome, reply: null };
    const t = this.now();
    const last = this.lastCodeReply.get(msg.senderId);
    const repeatAfter = this.opts.repeatCodeAfterMs ?? 600_000;
    if (outcome.kind === "existing" && last !== undefined && t - last < repeatAfter) {
      return { kind: "pair", outcome, reply: null };
    }
    if (!this.bridgeReplies.take("pairing")) return { kind: "pair", outcome, reply: null };
    this.lastCodeReply.set(msg.senderId, t);
    const { code } = outcome.request;
    return {
      kind: "pair",
      outcome,
      reply:
        `Hi! This assistant only talks to people its owner approved. Your pairing code is ${code} ` +
        `(valid for 1 hour). Ask the owner to approve it in the clawbox dashboard or with ` +
        `\`clawbox pairing approve ${this.opts.bridgeId} ${code}\`.`,
    };
  }

  private refuseUnidentified(chatId: string): AccessDecision {
    const reason = "sender has no stable identity";
    const help = this.opts.identityHelp;
    if (!help) return { kind: "ignore", reason };
    const t = this.now();
    const key = `unidentified:${chatId}`;
    const last = this.lastCodeReply.get(key);
    if (last !== undefined && t - last < (this.opts.repeatCodeAfterMs ?? 600_000))
      return { kind: "refuse", reason, reply: null };
    if (!this.bridgeReplies.take("pairing")) return { kind: "refuse", reason, reply: null };
    this.lastCodeReply.set(key, t);
    return { kind: "refuse", reason, reply: help };
  }
}
