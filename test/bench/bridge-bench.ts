import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { BridgeManager } from "../../agent/src/bridges/bridge-manager.js";
import type { WebSocketChannelAdapter } from "../../agent/src/bridges/websocket/adapter.js";
import { createLogger } from "../../agent/src/log.js";
import { ConversationStore } from "../../agent/src/store/conversation-store.js";
import { openDatabase } from "../../agent/src/store/database.js";
import { startIdleCheckpoints } from "../../agent/src/store/idle-checkpoints.js";
import { EchoInference } from "../bridges/kit/echo-inference.js";
import { round } from "./stats.js";

const TOKEN = "bench-token-0123456789";

/**
 * Messages/s sustained and per-message latency through the WebSocket bridge with an instant echo model in
 * place of the LLM, so what is measured is the agent's own path: frame parse → inbound dedup (SQLite) →
 * access policy → conversation store (history read + 2 appends) → "inference" → chunker → outbox insert →
 * send → client ack → outbox marked sent. One client, 200 senders (own DM each), up to 256 messages in
 * flight; 2,000 warm-up messages, then 20,000 measured for messages/s. Latency: 2,000 more messages sent one
 * at a time (no queueing), client send → reply received (loopback round trip included, so it bounds what
 * the agent adds from above). Goal: ≥ 2,000 msg/s, p99 ≤ 5 ms (the bridge
 * layer must never be what a chat waits on).
 */
export async function benchBridges(
  log: (line: string) => void,
): Promise<{ bridgeMessagesPerSecond: number; bridgeP50Ms: number; bridgeP99Ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), "clawbox-bridge-bench-"));
  const db = openDatabase(dir);
  const stopCheckpoints = startIdleCheckpoints(db); // as start-agent does
  const manager = new BridgeManager({
    db,
    inference: new EchoInference({ stream: false, record: false }),
    conversations: new ConversationStore(db),
    log: createLogger({ level: "silent" }),
  });
  let ws: WebSocket | undefined;
  try {
    await manager.apply({
      bench: {
        type: "websocket",
        token: TOKEN,
        listenHost: "127.0.0.1",
        listenPort: 0,
        dmPolicy: "open",
        rateLimit: { burst: 1_000_000, perMinute: 6_000_000 },
      },
    });
    let adapter: WebSocketChannelAdapter | undefined;
    for (let i = 0; i < 500 && !adapter; i++) {
      adapter = manager.runner("bench")?.adapter() as WebSocketChannelAdapter | undefined;
      if (!adapter) await new Promise((r) => setTimeout(r, 10));
    }
    const port = adapter?.address()?.port;
    if (!port) throw new Error("the websocket bridge did not start");
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    ws = client;
    await new Promise<void>((resolve, reject) => {
      client.once("open", () => resolve());
      client.once("error", reject);
    });
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    let received = 0;
    let onReply: () => void = () => {};
    client.on("message", (data) => {
      const f = JSON.parse(String(data));
      if (f.type !== "reply") return;
      client.send(JSON.stringify({ type: "ack", messageId: f.messageId }));
      const key = String(f.text).slice("echo: ".length);
      const t0 = sentAt.get(key);
      if (t0 !== undefined) {
        latencies.push(performance.now() - t0);
        sentAt.delete(key);
      }
      received++;
      onReply();
    });
    const run = async (count: number, offset: number, window: number) => {
      let sent = 0;
      received = 0;
      latencies.length = 0;
      await new Promise<void>((resolve) => {
        const pump = () => {
          while (sent < count && sent - received < window) {
            const n = offset + sent++;
            const sender = `u${n % 200}`;
            const text = `m${n}`;
            sentAt.set(text, performance.now());
            client.send(
              JSON.stringify({
                type: "message",
                id: String(n),
                chatId: `dm-${sender}`,
                senderId: sender,
                text,
              }),
            );
          }
          if (received >= count) resolve();
        };
        onReply = pump;
        pump();
      });
    };
    await run(2_000, 0, 256);
    const measured = 20_000;
    const t0 = performance.now();
    await run(measured, 1_000_000, 256);
    const seconds = (performance.now() - t0) / 1000;
    // Latency without queueing: one message in flight at a time.
    await run(2_000, 2_000_000, 1);
    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
    const result = {
      bridgeMessagesPerSecond: round(measured / seconds, 0),
      bridgeP50Ms: round(pct(50), 2),
      bridgeP99Ms: round(pct(99), 2),
    };
    log(
      `bridge (websocket, echo model): ${result.bridgeMessagesPerSecond} msg/s with 256 in flight; ` +
        `added latency one at a time p50 ${result.bridgeP50Ms} ms, p99 ${result.bridgeP99Ms} ms`,
    );
    return result;
  } finally {
    ws?.terminate();
    await manager.close();
    stopCheckpoints();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
