import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { EchoInference } from "../../../../test/bridges/kit/echo-inference.js";
import { BridgeConfigStore } from "../../bridges/bridge-config-store.js";
import { BridgeManager } from "../../bridges/bridge-manager.js";
import { bridgeDefinitions } from "../../bridges/registry.js";
import { loadConfig } from "../../config/load-config.js";
import { createLogger } from "../../log.js";
import { PairingStore } from "../../pairing/pairing-store.js";
import { createSetupServices } from "../../setup/create-setup-services.js";
import type { SetupServices } from "../../setup/setup-services.js";
import { ConversationStore } from "../../store/conversation-store.js";
import { openDatabase } from "../../store/database.js";
import { RecordingSystemActions } from "../../system/recording-system-actions.js";
import { registerErrorHandling } from "../error-handler.js";
import { SESSION_COOKIE } from "../http-cookie.js";
import { bridgeRoutes } from "./bridge-routes.js";

let dir: string;
let db: Database;
let app: FastifyInstance;
let manager: BridgeManager;
let setup: SetupServices;
let setupCode: string;
let headers: Record<string, string>;
let configFile: string;
let chatPort: number;

const CHAT_TOKEN = "very-secret-token-123";

/** A TCP port that was free a moment ago (the bridges listen on fixed ports, as in a config file). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Connects a WebSocket client to a bridge, retrying while the bridge is still starting (≤ 5 s). */
async function connect(port: number, token: string): Promise<WebSocket> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
          headers: { authorization: `Bearer ${token}` },
        });
        ws.once("open", () => resolve(ws));
        ws.once("error", reject);
      });
    } catch (err) {
      if (i >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-bridge-routes-"));
  db = openDatabase(dir);
  const created = createSetupServices({
    db,
    dataDir: dir,
    system: new RecordingSystemActions(dir),
    pull: () => {
      throw new Error("no pulls here");
    },
    scrypt: { N: 2 ** 10, r: 8, p: 1 },
  });
  setup = created.services;
  setupCode = created.code as string;
  const now = new Date().toISOString();
  db.prepare(
    "INSERT INTO admin_users (username, password_hash, created_at, updated_at) VALUES ('owner', 'x', ?, ?)",
  ).run(now, now);
  const { id, session } = setup.sessions.create("owner");
  headers = { cookie: `${SESSION_COOKIE}=${id}`, "x-csrf-token": session.csrfToken };
  chatPort = await freePort();
  configFile = join(dir, "config.yaml");
  writeFileSync(
    configFile,
    `# owner's notes stay\nbridges:\n  chat:\n    type: websocket\n    token: ${CHAT_TOKEN}\n` +
      `    listenHost: 127.0.0.1\n    listenPort: ${chatPort}\n    dmPolicy: pairing\n`,
  );
  const bridges = loadConfig(configFile).config.bridges ?? {};
  manager = new BridgeManager({
    db,
    inference: new EchoInference(),
    conversations: new ConversationStore(db),
    log: createLogger({ level: "silent" }),
  });
  await manager.apply(bridges);
  app = Fastify();
  registerErrorHandling(app);
  app.register(bridgeRoutes, {
    setup,
    manager,
    configStore: new BridgeConfigStore(configFile, manager, bridges),
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
    expect(typo).toMatchObject({ ok: false, reason: 't: unknown key "colour"', kind: "config" });
    const down = await test({ type: "irc", host: "127.0.0.1", port: 1, tls: false, nick: "clawbox" });
    expect(down.ok).toBe(false);
    expect(down.reason).toMatch(/IRC 127\.0\.0\.1:1: connection closed before registration/);
    expect(down.kind).toBe("unreachable");
  });

  it("list the bridge types from the registry, with schema, secrets and sender id hint", async () => {
    const res = await app.inject({ url: "/api/dashboard/bridge-types", headers });
    const types = res.json().types as {
      type: string;
      properties: Record<string, { description?: string; enum?: string[] }>;
      required: string[];
      secretKeys: string[];
      senderIdHint?: string;
    }[];
    expect(types.map((t) => t.type)).toEqual(bridgeDefinitions().map((d) => d.type));
    const ws = types.find((t) => t.type === "websocket");
    expect(ws?.secretKeys).toEqual(["token"]);
    expect(ws?.required).toEqual(["token", "listenPort"]);
    expect(ws?.properties.token?.description).toMatch(/token/i);
    expect(ws?.properties.dmPolicy?.enum).toEqual(["pairing", "allowlist", "open", "disabled"]);
    expect(ws?.properties).not.toHaveProperty("type");
    expect(types.find((t) => t.type === "telegram")?.senderIdHint).toMatch(/numeric/);
  });

  it("add, change and remove bridges: saved to the file, only that bridge restarts, secrets never answered", async () => {
    const client = await connect(chatPort, CHAT_TOKEN);
    let clientClosed = false;
    client.on("close", () => {
      clientClosed = true;
    });
    const hookPort = await freePort();
    const put = (id: string, config: object) =>
      app.inject({ method: "PUT", url: `/api/dashboard/bridges/${id}`, headers, payload: { config } });
    const added = await put("family", {
      type: "websocket",
      token: "family-secret-token-1",
      listenPort: hookPort,
      dmPolicy: "allowlist",
      allowFrom: ["alice"],
    });
    expect(added.statusCode).toBe(200);
    expect(added.body).not.toContain("family-secret-token-1");
    expect(added.json()).toMatchObject({
      change: { id: "family", savedTo: configFile, started: ["family"], restarted: [], stopped: [] },
      bridge: { id: "family", config: { token: "********", allowFrom: ["alice"] } },
    });
    (await connect(hookPort, "family-secret-token-1")).close();
    expect(loadConfig(configFile).config.bridges?.family?.token).toBe("family-secret-token-1");
    expect(readFileSync(configFile, "utf8")).toContain("# owner's notes stay");

    const typo = await put("family", {
      type: "websocket",
      token: "********",
      listenPort: hookPort,
      colour: 1,
    });
    expect(typo.statusCode).toBe(400);
    expect(typo.json().error.message).toMatch(/^bridge "family": unknown key "colour" — fix: /);

    const changed = await put("family", { type: "websocket", token: "********", listenPort: hookPort });
    expect(changed.json().change).toMatchObject({ restarted: ["family"], started: [], stopped: [] });
    expect(loadConfig(configFile).config.bridges?.family).toMatchObject({
      token: "family-secret-token-1",
      dmPolicy: "pairing",
    });
    expect(client.readyState).toBe(WebSocket.OPEN);
    expect(clientClosed).toBe(false);

    const list = await app.inject({ url: "/api/dashboard/bridges", headers });
    expect(list.body).not.toContain("secret-token");
    expect(
      list
        .json()
        .bridges.map((b: { id: string }) => b.id)
        .sort(),
    ).toEqual(["chat", "family"]);

    const removed = await app.inject({ method: "DELETE", url: "/api/dashboard/bridges/family", headers });
    expect(removed.json().change).toMatchObject({ stopped: ["family"], started: [], restarted: [] });
    expect(Object.keys(loadConfig(configFile).config.bridges ?? {})).toEqual(["chat"]);
    await expect(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${hookPort}/`);
        ws.once("open", resolve);
        ws.once("error", reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
    expect(client.readyState).toBe(WebSocket.OPEN);

    const again = await app.inject({ method: "DELETE", url: "/api/dashboard/bridges/family", headers });
    expect(again.statusCode).toBe(404);
    const noCsrf = await app.inject({
      method: "PUT",
      url: "/api/dashboard/bridges/x",
      headers: { cookie: headers.cookie as string },
      payload: { config: { type: "websocket" } },
    });
    expect(noCsrf.statusCode).toBe(403);
    client.close();
  });

  it("test a saved bridge with its stored secret sent back as ********", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/api/dashboard/bridges/test",
      headers,
      payload: { id: "fresh", config: { type: "websocket", token: "********", listenPort: 0 } },
    });
    expect(res.json()).toMatchObject({
      ok: false,
      reason: 'bridge "fresh": "token" has no stored value to keep',
    });
    // the saved entry unchanged: the running bridge answers (a second listener would fail on its port)
    const test = (config: object) =>
      app.inject({
        method: "POST",
        url: "/api/dashboard/bridges/test",
        headers,
        payload: { id: "chat", config },
      });
    await connect(chatPort, CHAT_TOKEN).then((ws) => ws.close());
    const same = await test({
      type: "websocket",
      token: "********",
      listenHost: "127.0.0.1",
      listenPort: chatPort,
    });
    expect(same.json()).toEqual({ ok: true, running: true, ms: 0 });
    // a changed entry is tested for real, with the stored token: here it collides with the running "chat"
    const changed = await test({
      type: "websocket",
      token: "********",
      listenPort: chatPort,
      dmPolicy: "open",
    });
    expect(changed.json()).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/cannot listen on port .*EADDRINUSE/),
    });
  });

  it("serve the wizard's messaging step behind the setup code, and answer 410 after finish", async () => {
    const code = { "x-setup-code": setupCode };
    expect((await app.inject({ url: "/api/setup/bridge-types" })).statusCode).toBe(401);
    const types = await app.inject({ url: "/api/setup/bridge-types", headers: code });
    expect(types.json().types.length).toBe(bridgeDefinitions().length);
    const port = await freePort();
    const saved = await app.inject({
      method: "PUT",
      url: "/api/setup/bridges/site",
      headers: code,
      payload: { config: { type: "websocket", token: "site-secret-token-01", listenPort: port } },
    });
    expect(saved.json().change).toMatchObject({ started: ["site"], savedTo: configFile });
    expect(saved.body).not.toContain("site-secret-token-01");
    const tested = await app.inject({
      method: "POST",
      url: "/api/setup/bridges/test",
      headers: code,
      payload: {
        id: "lan",
        config: { type: "irc", host: "127.0.0.1", port: 1, tls: false, nick: "clawbox" },
      },
    });
    expect(tested.json()).toMatchObject({ ok: false, reason: expect.stringMatching(/127\.0\.0\.1:1/) });
    expect((await app.inject({ url: "/api/setup/bridges", headers: code })).body).not.toContain(
      "secret-token",
    );
    // finishing setup closes the wizard's routes for good
    await setup.flow.setAdmin("owner2", "purple-tractor-sings-42");
    await setup.flow.setDevice("clawbox-test", "UTC");
    setup.flow.finish();
    const gone = await app.inject({
      method: "PUT",
      url: "/api/setup/bridges/site",
      headers: code,
      payload: { config: { type: "websocket", token: "********", listenPort: port } },
    });
    expect(gone.statusCode).toBe(410);
  });
});
