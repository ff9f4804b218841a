import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EchoInference } from "../../../test/bridges/kit/echo-inference.js";
import { createLogger } from "../log.js";
import { ConversationStore } from "../store/conversation-store.js";
import { openDatabase } from "../store/database.js";
import { BridgeManager } from "./bridge-manager.js";
import type { BridgeConfig } from "./config-schema.js";

let dir: string;
let db: Database;
let manager: BridgeManager;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-manager-"));
  db = openDatabase(dir);
  manager = new BridgeManager({
    db,
    inference: new EchoInference(),
    conversations: new ConversationStore(db),
    log: createLogger({ level: "silent" }),
  });
});
afterEach(async () => {
  await manager.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const ws = (token: string): BridgeConfig => ({
  type: "websocket",
  token,
  listenHost: "127.0.0.1",
  listenPort: 0,
  dmPolicy: "pairing",
});

describe("BridgeManager.apply", () => {
  it("starts, restarts and stops only the bridges whose entry changed", async () => {
    expect(await manager.apply({ a: ws("token-a-0123456789"), b: ws("token-b-0123456789") })).toEqual({
      started: ["a", "b"],
      stopped: [],
      restarted: [],
    });
    const runnerA = manager.runner("a");
    const runnerB = manager.runner("b");
    const next = {
      a: ws("token-a-0123456789"),
      b: ws("token-b-changed-0000"),
      c: { ...ws("token-c-0123456789"), enabled: false },
    };
    expect(await manager.apply(next)).toEqual({ started: ["c"], stopped: [], restarted: ["b"] });
    expect(manager.runner("a")).toBe(runnerA);
    expect(manager.runner("b")).not.toBe(runnerB);
    expect(runnerB?.status().state).toBe("stopped");
    expect(manager.runner("c")).toBeUndefined();
    expect(await manager.apply({ b: next.b })).toEqual({ started: [], stopped: ["a", "c"], restarted: [] });
    expect(runnerA?.status().state).toBe("stopped");
    expect(manager.overview().map((o) => [o.id, o.config.token])).toEqual([["b", "********"]]);
  });

  it("refuses an unknown bridge type", async () => {
    await expect(manager.apply({ x: { type: "fax", dmPolicy: "open" } })).rejects.toThrow(
      /unknown type "fax"/,
    );
  });
});
