import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { openDatabase } from "../store/database.js";
import { MAX_PENDING_PER_BRIDGE, newPairingCode, PAIRING_TTL_MS, PairingStore } from "./pairing-store.js";

let dir: string;
let db: Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-pairing-"));
  db = openDatabase(dir);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("PairingStore", () => {
  it("makes 8-character codes without 0, O, 1 or I", () => {
    const codes = Array.from({ length: 500 }, newPairingCode);
    for (const c of codes) expect(c).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    expect(new Set(codes).size).toBe(500);
  });

  it("keeps one code per sender and at most 3 pending per bridge", () => {
    const store = new PairingStore(db);
    const first = store.request("b", { id: "s1", chatId: "c1" });
    const again = store.request("b", { id: "s1", chatId: "c1" });
    expect(first.kind).toBe("created");
    expect(
      again.kind === "existing" && first.kind === "created" && again.request.code === first.request.code,
    ).toBe(true);
    for (let i = 2; i <= MAX_PENDING_PER_BRIDGE; i++)
      expect(store.request("b", { id: `s${i}`, chatId: "c" }).kind).toBe("created");
    expect(store.request("b", { id: "s9", chatId: "c" }).kind).toBe("full");
    expect(store.request("other", { id: "s9", chatId: "c" }).kind).toBe("created");
    expect(store.list("b")).toHaveLength(MAX_PENDING_PER_BRIDGE);
  });

  it("expires codes after one hour", () => {
    let now = 1_000_000;
    const store = new PairingStore(db, () => now);
    const r = store.request("b", { id: "s1", chatId: "c1" });
    now += PAIRING_TTL_MS + 1;
    expect(store.list()).toEqual([]);
    expect(() => store.approve("b", r.kind === "created" ? r.request.code : "")).toThrow(UserError);
  });

  it("approve allows the sender; deny removes the code without allowing", () => {
    const store = new PairingStore(db);
    const a = store.request("b", { id: "s1", name: "Ann", chatId: "c1" });
    const d = store.request("b", { id: "s2", chatId: "c2" });
    if (a.kind !== "created" || d.kind !== "created") throw new Error("expected new codes");
    expect(store.approve("b", a.request.code).senderName).toBe("Ann");
    store.deny("b", d.request.code);
    expect(store.isApproved("b", "s1")).toBe(true);
    expect(store.isApproved("b", "s2")).toBe(false);
    expect(store.isApproved("other", "s1")).toBe(false);
    expect(store.list()).toEqual([]);
    expect(() => store.deny("b", d.request.code)).toThrow(/no pending pairing code/);
    expect(store.revoke("b", "s1")).toBe(true);
    expect(store.isApproved("b", "s1")).toBe(false);
  });
});
