import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EchoInference } from "../../../test/bridges/kit/echo-inference.js";
import { createLogger } from "../log.js";
import { registerErrorHandling } from "../server/error-handler.js";
import { SESSION_COOKIE } from "../server/http-cookie.js";
import { SessionStore } from "../setup/sessions.js";
import type { SetupServices } from "../setup/setup-services.js";
import { ConversationStore } from "../store/conversation-store.js";
import { openDatabase } from "../store/database.js";
import { BridgeManager } from "./bridge-manager.js";
import { bridgeRoutes } from "./bridge-routes.js";
import { PairingStore } from "./pairing-store.js";

let dir: string;
let db: Database;
let app: FastifyInstance;
let manager: BridgeManager;
let headers: Record<string, string>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-bridge-routes-"));
  db = openDatabase(dir);
  const now = new Date().toISOString();
  db.prepare("INSERT INTO admin_users VALUES ('owner', 'x', ?, ?)").run(now, now);
  const sessions = new SessionStore(db);
  const { id, session } = sessions.create("owner");
  headers = { cookie: `${SESSION_COOKIE}=${id}`, "x-csrf-token": session.csrfToken };
  manager = new BridgeManager({
    db,
    inference: new EchoInference(),
    conversations: new ConversationStore(db),
    log: createLogger({ level: "silent" }),
  });
  await manager.apply({
    chat: {
      type: "websocket",
      token: "very-secret-token-123",
      listenHost: "127.0.0.1",
      listenPort: 0,
      dmPolicy: "pairing",
    },
  });
  app = Fastify();
  registerErrorHandling(app);
  // The guard only needs the session store of the setup services.
  app.register(bridgeRoutes, {
    setup: { sessions } as unknown as SetupServices,
    manager,
    pairing: new PairingStore(db),
  });
  await app.ready();
});
afterEach(async () => {
  await app.close();
  await manager.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("bridge dashboard routes", () => {
  it("need a session", async () => {
    expect((await app.inject({ url: "/api/dashboard/pairing" })).statusCode).toBe(401);
  });

  it("show bridges without secrets", async () => {
    const res = await app.inject({ url: "/api/dashboard/bridges", headers });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain("very-secret-token");
    expect(res.json().bridges[0]).toMatchObject({
      id: "chat",
      type: "websocket",
      config: { token: "********" },
    });
  });

  it("list, approve and deny pairing codes", async () => {
    const store = new PairingStore(db);
    const a = store.request("chat", { id: "alice", chatId: "c1" });
    const b = store.request("chat", { id: "bob", chatId: "c2" });
    if (a.kind !== "created" || b.kind !== "created") throw new Error("expected codes");
    const list = await app.inject({ url: "/api/dashboard/pairing", headers });
    expect(list.json().pending.map((p: { senderId: string }) => p.senderId)).toEqual(["alice", "bob"]);
    const approve = await app.inject({
      method: "POST",
      url: `/api/dashboard/pairing/chat/${a.request.code}/approve`,
      headers,
    });
    expect(approve.statusCode).toBe(200);
    const noCsrf = await app.inject({
      method: "POST",
      url: `/api/dashboard/pairing/chat/${b.request.code}/deny`,
      headers: { cookie: headers.cookie as string },
    });
    expect(noCsrf.statusCode).toBe(403);
    await app.inject({ method: "POST", url: `/api/dashboard/pairing/chat/${b.request.code}/deny`, headers });
    const unknown = await app.inject({
      method: "POST",
      url: "/api/dashboard/pairing/chat/ABCDEFGH/approve",
      headers,
    });
    expect(unknown.statusCode).toBe(404);
    expect(store.isApproved("chat", "alice")).toBe(true);
    expect(store.isApproved("chat", "bob")).toBe(false);
    const after = (await app.inject({ url: "/api/dashboard/pairing", headers })).json();
    expect(after.pending).toEqual([]);
    expect(after.approved.map((x: { senderId: string }) => x.senderId)).toEqual(["alice"]);
  });

  it("test a bridge's connection and say why it failed", async () => {
    const test = async (config: object) =>
      (
        await app.inject({
          method: "POST",
          url: "/api/dashboard/bridges/test",
          headers,
          payload: { id: "t", config },
        })
      ).json();
    const ok = await test({
      type: "websocket",
      token: "another-secret-token-1",
      listenHost: "127.0.0.1",
      listenPort: 0,
    });
    expect(ok).toMatchObject({ ok: true, botId: "websocket:t" });
    const typo = await test({
      type: "websocket",
      token: "another-secret-token-1",
      listenPort: 0,
      colour: "red",
    });
    expect(typo).toMatchObject({ ok: false, reason: 't: unknown key "colour"' });
    const down = await test({ type: "irc", host: "127.0.0.1", port: 1, tls: false, nick: "clawbox" });
    expect(down.ok).toBe(false);
    expect(down.reason).toMatch(/IRC 127\.0\.0\.1:1: connection closed before registration/);
  });
});
