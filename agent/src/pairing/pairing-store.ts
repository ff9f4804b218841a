import { randomInt } from "node:crypto";
import type { Database } from "better-sqlite3";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/** Code alphabet: A–Z and 2–9 without the look-alikes 0/O and 1/I (32 symbols, 8 chars = 40 bits). */
export const PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export const PAIRING_CODE_LENGTH = 8;
/**
 * A code is valid for one hour: long enough for the owner to approve it, short enough that a leaked one
 * expires.
 */
export const PAIRING_TTL_MS = 3600_000;
/** At most this many pending codes per bridge, so a flood of strangers cannot fill the owner's list. */
export const MAX_PENDING_PER_BRIDGE = 3;

export interface PairingRequest {
  bridgeId: string;
  code: string;
  senderId: string;
  senderName: string | null;
  chatId: string;
  createdAt: string;
  expiresAt: string;
}

export interface ApprovedSender {
  bridgeId: string;
  senderId: string;
  senderName: string | null;
  approvedAt: string;
}

export type PairingOutcome =
  | { kind: "created"; request: PairingRequest }
  | { kind: "existing"; request: PairingRequest }
  | { kind: "full" };

interface Row {
  bridge_id: string;
  code: string;
  sender_id: string;
  sender_name: string | null;
  chat_id: string;
  created_at: string;
  expires_at: string;
}

const toRequest = (r: Row): PairingRequest => ({
  bridgeId: r.bridge_id,
  code: r.code,
  senderId: r.sender_id,
  senderName: r.sender_name,
  chatId: r.chat_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/** A fresh random pairing code (crypto.randomInt, uniform over PAIRING_ALPHABET). */
export function newPairingCode(): string {
  let code = "";
  for (let i = 0; i < PAIRING_CODE_LENGTH; i++) code += PAIRING_ALPHABET[randomInt(PAIRING_ALPHABET.length)];
  return code;
}

/**
 * Pairing requests and approved senders (SQLite `bridge_pairing`, `bridge_approved_senders`), shared by the
 * running agent and `clawbox pairing` (another process on the same WAL database).
 */
export class PairingStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  private purgeExpired(): void {
    this.db
      .prepare("DELETE FROM bridge_pairing WHERE expires_at <= ?")
      .run(new Date(this.now()).toISOString());
  }

  /** True when `senderId` was approved for `bridgeId` (pairing or dashboard). "" is never approved. */
  isApproved(bridgeId: string, senderId: string): boolean {
    if (senderId === "") return false;
    return (
      this.db
        .prepare("SELECT 1 FROM bridge_approved_senders WHERE bridge_id = ? AND sender_id = ?")
        .get(bridgeId, senderId) !== undefined
    );
  }

  /**
   * The sender's pending code: the existing one when still valid, else a new one (valid PAIRING_TTL_MS),
   * or `full` when the bridge already has MAX_PENDING_PER_BRIDGE pending codes.
   */
  request(bridgeId: string, sender: { id: string; name?: string; chatId: string }): PairingOutcome {
    return this.db.transaction((): PairingOutcome => {
      this.purgeExpired();
      const existing = this.db
        .prepare("SELECT * FROM bridge_pairing WHERE bridge_id = ? AND sender_id = ?")
        .get(bridgeId, sender.id) as Row | undefined;
      if (existing) return { kind: "existing", request: toRequest(existing) };
      const count = this.db
        .prepare("SELECT COUNT(*) FROM bridge_pairing WHERE bridge_id = ?")
        .pluck()
        .get(bridgeId);
      if ((count as number) >= MAX_PENDING_PER_BRIDGE) return { kind: "full" };
      const now = this.now();
      const row: Row = {
        bridge_id: bridgeId,
        code: newPairingCode(),
        sender_id: sender.id,
        sender_name: sender.name ?? null,
        chat_id: sender.chatId,
        created_at: new Date(now).toISOString(),
        expires_at: new Date(now + PAIRING_TTL_MS).toISOString(),
      };
      this.db
        .prepare(
          `INSERT INTO bridge_pairing (bridge_id, code, sender_id, sender_name, chat_id, created_at, expires_at)
           VALUES (@bridge_id, @code, @sender_id, @sender_name, @chat_id, @created_at, @expires_at)`,
        )
        .run(row);
      return { kind: "created", request: toRequest(row) };
    })();
  }

  /** Pending (unexpired) requests, optionally of one bridge, oldest first. */
  list(bridgeId?: string): PairingRequest[] {
    this.purgeExpired();
    const rows = bridgeId
      ? this.db.prepare("SELECT * FROM bridge_pairing WHERE bridge_id = ? ORDER BY created_at").all(bridgeId)
      : this.db.prepare("SELECT * FROM bridge_pairing ORDER BY bridge_id, created_at").all();
    return (rows as Row[]).map(toRequest);
  }

  private take(bridgeId: string, code: string): PairingRequest {
    this.purgeExpired();
    const normalised = code.trim().toUpperCase();
    const row = this.db
      .prepare("SELECT * FROM bridge_pairing WHERE bridge_id = ? AND code = ?")
      .get(bridgeId, normalised) as Row | undefined;
    if (!row) {
      throw new UserError(`no pending pairing code ${normalised} for bridge "${bridgeId}"`, {
        code: ErrorCode.PAIRING_UNKNOWN,
        status: 404,
        fix: "check the bridge id and code with `clawbox pairing list` (codes expire after 1 hour; the sender gets a new one by writing again)",
      });
    }
    this.db.prepare("DELETE FROM bridge_pairing WHERE bridge_id = ? AND code = ?").run(bridgeId, normalised);
    return toRequest(row);
  }

  /** Approves a pending code: its sender may talk to the model from now on. Throws UserError (404) when unknown/expired. */
  approve(bridgeId: string, code: string): PairingRequest {
    return this.db.transaction(() => {
      const req = this.take(bridgeId, code);
      this.db
        .prepare(
          `INSERT OR REPLACE INTO bridge_approved_senders (bridge_id, sender_id, sender_name, approved_at)
           VALUES (?, ?, ?, ?)`,
        )
        .run(bridgeId, req.senderId, req.senderName, new Date(this.now()).toISOString());
      return req;
    })();
  }

  /** Denies (deletes) a pending code. Throws UserError (404) when unknown/expired. */
  deny(bridgeId: string, code: string): PairingRequest {
    return this.db.transaction(() => this.take(bridgeId, code))();
  }

  /** Senders approved by pairing, optionally of one bridge. */
  approved(bridgeId?: string): ApprovedSender[] {
    const rows = (
      bridgeId
        ? this.db
            .prepare("SELECT * FROM bridge_approved_senders WHERE bridge_id = ? ORDER BY approved_at")
            .all(bridgeId)
        : this.db.prepare("SELECT * FROM bridge_approved_senders ORDER BY bridge_id, approved_at").all()
    ) as { bridge_id: string; sender_id: string; sender_name: string | null; approved_at: string }[];
    return rows.map((r) => ({
      bridgeId: r.bridge_id,
      senderId: r.sender_id,
      senderName: r.sender_name,
      approvedAt: r.approved_at,
    }));
  }

  /** Withdraws an approval; false when the sender was not approved. */
  revoke(bridgeId: string, senderId: string): boolean {
    return (
      this.db
        .prepare("DELETE FROM bridge_approved_senders WHERE bridge_id = ? AND sender_id = ?")
        .run(bridgeId, senderId).changes === 1
    );
  }
}
