import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { EchoInference } from "../../../../test/bridges/kit/echo-inference.js";
import { createLogger } from "../../log.js";
import { ConversationStore } from "../../store/conversation-store.js";
import { openDatabase } from "../../store/database.js";
import { BridgeManager } from "../bridge-manager.js";
import type { WebSocketChannelAdapter } from "./adapter.js";

const TOKEN = "test-token-0123456789";
let dir: string;
let db: Database;
let manager: BridgeManager;
const sockets: WebSocket[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-ws-"));
  db = openDatabase(dir);
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await manager?.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(get: () => T | undefined, what: string, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Reply {
  messageId: string;
  chatId: string;
  text: string;
  outboxId: string;
}

/** A front-end client: collects replies, acks them unless told not to. */
async function client(port: number, opts: { ack?: boolean; token?: string } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
    headers: { authorization: `Bearer ${opts.token ?? TOKEN}` },
  });
  sockets.push(ws);
  const replies: Reply[] = [];
  ws.on("message", (d) => {
    const f = JSON.parse(String(d));
    if (f.type !== "reply") return;
    replies.push(f);
    if (opts.ack !== false) ws.send(JSON.stringify({ type: "ack", messageId: f.messageId }));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const say = (id: string, text: string, senderId = "alice") =>
    ws.send(JSON.stringify({ type: "message", id, chatId: `dm-${senderId}`, senderId, text }));
  return { ws, replies, say };
}

async function startBridge(inference: EchoInference, extra: Record<string, unknown> = {}) {
  manager = new BridgeManager({
    db,
    inference,
    conversations: new ConversationStore(db),
    log: createLogger({ level: "silent" }),
    backoff: { baseMs: 5, maxMs: 20 },
    flushIntervalMs: 50,
  });
  await manager.apply({
    chat: {
      type: "websocket",
      token: TOKEN,
      listenHost: "127.0.0.1",
      listenPort: 0,
      dmPolicy: "pairing",
      ...extra,
    },
  });
  const adapter = await until(
    () => manager.runner("chat")?.adapter() as WebSocketChannelAdapter | undefined,
    "listen",
  );
  return adapter.address()?.port ?? 0;
}

describe("WebSocket channel bridge", () => {
  it("refuses a wrong token", async () => {
    const port = await startBridge(new EchoInference());
    await expect(client(port, { token: "wrong-token-000000000" })).rejects.toThrow(/401/);
  });

  it("pairs an unknown sender without the model, then answers once approved", async () => {
    const inference = new EchoInference();
    const port = await startBridge(inference);
    const c = await client(port);
    c.say("1", "hello");
    const first = await until(() => c.replies[0], "pairing reply");
    expect(first.text).toMatch(/pairing code is [A-HJ-NP-Z2-9]{8}/);
    expect(inference.requests).toHaveLength(0);
    const runner = manager.runner("chat");
    const pending = runner?.pairing.list("chat") ?? [];
    expect(pending.map((p) => p.senderId)).toEqual(["alice"]);
    runner?.pairing.approve("chat", pending[0]?.code ?? "");
    c.say("2", "how are you");
    const answer = await until(() => c.replies[1], "answer");
    expect(answer.text).toBe("echo: how are you");
  });

  it("splits a long reply at maxTextLength", async () => {
    const long = Array.from({ length: 40 }, (_, i) => `Line ${i} says something.`).join("\n");
    const port = await startBridge(new EchoInference({ reply: () => long }), {
      dmPolicy: "open",
      maxTextLength: 120,
    });
    const c = await client(port);
    c.say("1", "go");
    await until(() => c.replies.map((r) => r.text).join("\n") === long || undefined, "whole reply");
    for (const r of c.replies) expect(r.text.length).toBeLessThanOrEqual(120);
  });

  it("redelivers an unacknowledged reply after the client reconnects, exactly once", async () => {
    const port = await startBridge(new EchoInference(), { dmPolicy: "open", ackTimeoutMs: 200 });
    const a = await client(port, { ack: false });
    a.say("1", "are you there");
    await until(() => a.replies[0], "first attempt");
    a.ws.terminate(); // cut before the ack
    await new Promise((r) => setTimeout(r, 100));
    const b = await client(port);
    const again = await until(() => b.replies[0], "redelivery");
    expect(again.text).toBe("echo: are you there");
    expect(again.outboxId).toBe(a.replies[0]?.outboxId);
    await new Promise((r) => setTimeout(r, 300)); // several flush periods later: nothing more
    expect(b.replies).toHaveLength(1);
  });
});
