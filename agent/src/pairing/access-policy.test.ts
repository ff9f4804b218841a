import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RateLimiter } from "../bridges/rate-limiter.js";
import type { DmPolicy, InboundMessage } from "../bridges/types.js";
import { openDatabase } from "../store/database.js";
import { AccessPolicy } from "./access-policy.js";
import { PairingStore } from "./pairing-store.js";

let dir: string;
let db: Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-access-"));
  db = openDatabase(dir);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const msg = (m: Partial<InboundMessage>): InboundMessage => ({
  id: "1",
  chatId: "c",
  senderId: "s1",
  isDirect: true,
  mentionsBot: true,
  isBot: false,
  text: "hi",
  ...m,
});

function policy(dmPolicy: DmPolicy, now = () => Date.now(), allowFrom: string[] = ["friend"]) {
  return new AccessPolicy({
    bridgeId: "b",
    dmPolicy,
    allowFrom,
    pairing: new PairingStore(db, now),
    selfId: () => ({ id: "bot" }),
    now,
  });
}

describe("AccessPolicy", () => {
  it("applies each dmPolicy to direct messages", () => {
    expect(policy("open").decide(msg({})).kind).toBe("allow");
    expect(policy("disabled").decide(msg({ senderId: "friend" })).kind).toBe("ignore");
    expect(policy("allowlist").decide(msg({ senderId: "friend" })).kind).toBe("allow");
    expect(policy("allowlist").decide(msg({ senderId: "stranger" })).kind).toBe("ignore");
    expect(policy("pairing").decide(msg({ senderId: "friend" })).kind).toBe("allow");
    expect(policy("pairing").decide(msg({ senderId: "stranger" })).kind).toBe("pair");
    expect(policy("pairing").decide(msg({ senderId: "" })).kind).toBe("ignore");
  });

  it("ignores itself and bots; in groups answers allowed senders only when mentioned", () => {
    const p = policy("pairing");
    expect(p.decide(msg({ senderId: "bot" }))).toMatchObject({ kind: "ignore", reason: "own message" });
    expect(p.decide(msg({ senderId: "friend", isBot: true })).kind).toBe("ignore");
    const group = { isDirect: false, chatId: "g" };
    expect(p.decide(msg({ ...group, senderId: "friend", mentionsBot: false })).kind).toBe("ignore");
    expect(p.decide(msg({ ...group, senderId: "friend" })).kind).toBe("allow");
    expect(p.decide(msg({ ...group, senderId: "stranger" })).kind).toBe("ignore");
    expect(new PairingStore(db).list()).toEqual([]); // no code handed out in a group
  });

  it("repeats a pending code at most every 10 minutes and stays silent when 3 are pending", () => {
    let t = 1_000_000;
    const p = policy("pairing", () => t);
    const first = p.decide(msg({ senderId: "x1" }));
    expect(first.kind === "pair" && first.reply).toMatch(/code is [A-HJ-NP-Z2-9]{8}/);
    const again = p.decide(msg({ senderId: "x1" }));
    expect(again.kind === "pair" && again.reply).toBe(null);
    t += 600_001;
    const later = p.decide(msg({ senderId: "x1" }));
    expect(later.kind === "pair" && later.reply).toMatch(/code is/);
    p.decide(msg({ senderId: "x2" }));
    p.decide(msg({ senderId: "x3" }));
    const full = p.decide(msg({ senderId: "x4" }));
    expect(full).toMatchObject({ kind: "pair", outcome: { kind: "full" }, reply: null });
  });
});

describe("RateLimiter", () => {
  it("allows a burst, then one per refill period, per key", () => {
    let t = 0;
    const limiter = new RateLimiter(3, 1000, () => t);
    expect([1, 2, 3, 4].map(() => limiter.take("a"))).toEqual([true, true, true, false]);
    expect(limiter.take("b")).toBe(true);
    t += 999;
    expect(limiter.take("a")).toBe(false);
    t += 1001;
    expect(limiter.take("a")).toBe(true);
  });
});
