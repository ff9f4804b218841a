import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EchoInference } from "../../../../test/bridges/kit/echo-inference.js";
import { createLogger } from "../../log.js";
import { ConversationStore } from "../../store/conversation-store.js";
import { openDatabase } from "../../store/database.js";
import { BridgeManager } from "../bridge-manager.js";
import { SIGNATURE_HEADER, signedHeaders, TIMESTAMP_HEADER, verifySignature } from "../hmac-signature.js";
import type { WebhookAdapter } from "./adapter.js";

const SECRET = "webhook-secret-0123456789";
let dir: string;
let db: Database;
let manager: BridgeManager;
let receiver: Server;
/** What the outbound receiver got; `status` decides its next answers. */
let received: { chatId: string; text: string; outboxId: string }[];
let statuses: number[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-webhook-"));
  db = openDatabase(dir);
  received = [];
  statuses = [];
  receiver = createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    const ok = verifySignature(
      SECRET,
      req.headers[TIMESTAMP_HEADER] as string,
      req.headers[SIGNATURE_HEADER] as string,
      body,
    );
    const status = ok === null ? (statuses.shift() ?? 200) : 401;
    if (status === 200) received.push(JSON.parse(body));
    res.writeHead(status, status === 429 ? { "retry-after": "0" } : {}).end("{}");
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
});
afterEach(async () => {
  await manager?.close();
  await new Promise((r) => receiver.close(r));
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

async function start(inference: EchoInference, extra: Record<string, unknown> = {}): Promise<number> {
  manager = new BridgeManager({
    db,
    inference,
    conversations: new ConversationStore(db),
    log: createLogger({ level: "silent" }),
    flushIntervalMs: 50,
  });
  const out = receiver.address() as AddressInfo;
  await manager.apply({
    hook: {
      type: "webhook",
      secret: SECRET,
      listenHost: "127.0.0.1",
      listenPort: 0,
      outboundUrl: `http://127.0.0.1:${out.port}/`,
      dmPolicy: "pairing",
      ...extra,
    },
  });
  const adapter = await until(
    () => manager.runner("hook")?.adapter() as WebhookAdapter | undefined,
    "listen",
  );
  return adapter.address()?.port ?? 0;
}

async function post(port: number, msg: object, headers?: Record<string, string>): Promise<number> {
  const body = JSON.stringify(msg);
  const res = await fetch(`http://127.0.0.1:${port}/`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(headers ?? signedHeaders(SECRET, body)) },
    body,
  });
  return res.status;
}

describe("webhook bridge", () => {
  it("refuses unsigned, badly signed and stale requests", async () => {
    const inference = new EchoInference();
    const port = await start(inference, { dmPolicy: "open" });
    const msg = { id: "1", chatId: "c", senderId: "s", text: "hi" };
    expect(await post(port, msg, {})).toBe(401);
    expect(await post(port, msg, signedHeaders("another-secret-0000000", JSON.stringify(msg)))).toBe(401);
    expect(await post(port, msg, signedHeaders(SECRET, JSON.stringify(msg), Date.now() - 6 * 60_000))).toBe(
      401,
    );
    expect(inference.requests).toHaveLength(0);
    expect(await post(port, msg)).toBe(202);
    await until(() => received[0], "reply");
    expect(received[0]?.text).toBe("echo: hi");
  });

  it("pairs an unknown sender, then answers after approval", async () => {
    const inference = new EchoInference();
    const port = await start(inference);
    await post(port, { id: "1", chatId: "c", senderId: "s", text: "hi" });
    const code = (await until(() => received[0], "pairing reply")).text.match(/code is ([A-Z0-9]{8})/)?.[1];
    expect(inference.requests).toHaveLength(0);
    manager.runner("hook")?.pairing.approve("hook", code ?? "");
    await post(port, { id: "2", chatId: "c", senderId: "s", text: "now?" });
    expect((await until(() => received[1], "answer")).text).toBe("echo: now?");
  });

  it("keeps a reply the receiver could not take and delivers it once later; honours 429", async () => {
    const port = await start(new EchoInference({ reply: () => "First one. Second two. Third three." }), {
      dmPolicy: "open",
      maxTextLength: 16,
    });
    statuses = [503, 429];
    await post(port, { id: "1", chatId: "c", senderId: "s", text: "x" });
    await until(() => received.length >= 3 || undefined, "all pieces");
    await new Promise((r) => setTimeout(r, 200));
    expect(received.map((r) => r.text)).toEqual(["First one.", "Second two.", "Third three."]);
    expect(new Set(received.map((r) => r.outboxId)).size).toBe(3);
  });
});
