import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { EchoInference } from "../../../test/bridges/kit/echo-inference.js";
import { loadConfig } from "../config/load-config.js";
import { UserError } from "../errors.js";
import { createLogger } from "../log.js";
import { ConversationStore } from "../store/conversation-store.js";
import { openDatabase } from "../store/database.js";
import { BridgeConfigStore } from "./bridge-config-store.js";
import { BridgeManager } from "./bridge-manager.js";

let dir: string;
let db: Database;
let manager: BridgeManager;
let file: string;

const FILE_TEXT = `# my clawbox
server:
  port: 8123 # the port I like
bridges:
  # the bot on the home page
  site:
    type: websocket
    token: site-secret-token-0001
    listenPort: 0
`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-bridge-store-"));
  db = openDatabase(dir);
  file = join(dir, "config.yaml");
  writeFileSync(file, FILE_TEXT);
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

async function storeFromFile(f: string | null = file): Promise<BridgeConfigStore> {
  const bridges = loadConfig(file).config.bridges ?? {};
  await manager.apply(bridges);
  return new BridgeConfigStore(f, manager, bridges);
}

async function rejection(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof UserError)) throw new Error(`expected a UserError, got ${String(err)}`);
  return err;
}

describe("BridgeConfigStore", () => {
  it("adds a bridge to the file, keeping the owner's other keys and comments, and starts only it", async () => {
    const store = await storeFromFile();
    const siteRunner = manager.runner("site");
    const change = await store.put("hook", {
      type: "webhook",
      secret: "hook-secret-0123456789",
      listenPort: 0,
      outboundUrl: "http://127.0.0.1:9/out",
    });
    expect(change).toMatchObject({
      id: "hook",
      savedTo: file,
      started: ["hook"],
      restarted: [],
      stopped: [],
    });
    expect(manager.runner("site")).toBe(siteRunner);
    const text = readFileSync(file, "utf8");
    for (const kept of ["# my clawbox", "# the port I like", "# the bot on the home page"])
      expect(text).toContain(kept);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const reloaded = loadConfig(file).config;
    expect(reloaded.server.port).toBe(8123);
    expect(reloaded.bridges?.hook).toMatchObject({ type: "webhook", secret: "hook-secret-0123456789" });
    // only what the owner set is written, not the schema's defaults
    expect(parse(text).bridges.hook).not.toHaveProperty("dmPolicy");
  });

  it("keeps a stored secret sent back as ******** and restarts only the changed bridge", async () => {
    const store = await storeFromFile();
    await store.put("other", { type: "websocket", token: "other-secret-token-01", listenPort: 0 });
    const otherRunner = manager.runner("other");
    const siteRunner = manager.runner("site");
    const change = await store.put("site", {
      type: "websocket",
      token: "********",
      listenPort: 0,
      dmPolicy: "open",
    });
    expect(change).toMatchObject({ started: [], restarted: ["site"], stopped: [] });
    expect(manager.runner("site")).not.toBe(siteRunner);
    expect(manager.runner("other")).toBe(otherRunner);
    expect(loadConfig(file).config.bridges?.site).toMatchObject({
      token: "site-secret-token-0001",
      dmPolicy: "open",
    });
    expect(store.get("site")?.token).toBe("site-secret-token-0001");
  });

  it("refuses a placeholder with nothing stored, a typo and a bad id, writing nothing", async () => {
    const store = await storeFromFile();
    const before = readFileSync(file, "utf8");
    const noSecret = await rejection(
      store.put("fresh", { type: "websocket", token: "********", listenPort: 0 }),
    );
    expect(noSecret.code).toBe("bridge_secret");
    expect(noSecret.message).toBe('bridge "fresh": "token" has no stored value to keep');
    const typo = await rejection(
      store.put("fresh", { type: "websocket", token: "fresh-secret-token-01", listenPort: 0, colour: "red" }),
    );
    expect(typo.message).toBe('bridge "fresh": unknown key "colour"');
    expect(typo.fix).toContain("listenPort");
    const missing = await rejection(store.put("fresh", { type: "irc", host: "127.0.0.1" }));
    expect(missing.message).toBe('bridge "fresh": "nick" is missing');
    expect((await rejection(store.put("fresh", { token: "x" }))).message).toBe(
      'bridge "fresh": "type" is missing',
    );
    const badType = await rejection(store.put("fresh", { type: "carrier-pigeon" }));
    expect(badType.message).toBe('bridge "fresh": unknown bridge type "carrier-pigeon"');
    expect(badType.fix).toContain("websocket");
    const badPort = await rejection(
      store.put("fresh", { type: "websocket", token: "fresh-secret-token-01", listenPort: 70000 }),
    );
    expect(badPort.message).toBe('bridge "fresh": "listenPort" must be <= 65535');
    const badId = await rejection(store.put("Fresh Bridge", { type: "websocket" }));
    expect(badId.code).toBe("bridge_id");
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(manager.overview().map((b) => b.id)).toEqual(["site"]);
  });

  it("removes a bridge from the file and stops only it", async () => {
    const store = await storeFromFile();
    await store.put("other", { type: "websocket", token: "other-secret-token-01", listenPort: 0 });
    const otherRunner = manager.runner("other");
    const change = await store.remove("site");
    expect(change).toMatchObject({ stopped: ["site"], started: [], restarted: [] });
    expect(manager.runner("other")).toBe(otherRunner);
    expect(Object.keys(loadConfig(file).config.bridges ?? {})).toEqual(["other"]);
    expect(readFileSync(file, "utf8")).toContain("# the port I like");
    expect((await rejection(store.remove("site"))).status).toBe(404);
  });

  it("without a config file applies changes in memory and says so", async () => {
    const store = await storeFromFile(null);
    const change = await store.put("other", {
      type: "websocket",
      token: "other-secret-token-01",
      listenPort: 0,
    });
    expect(change.savedTo).toBeNull();
    expect(
      manager
        .overview()
        .map((b) => b.id)
        .sort(),
    ).toEqual(["other", "site"]);
    expect(readFileSync(file, "utf8")).toBe(FILE_TEXT);
  });

  it("creates the bridges map in a file that has none", async () => {
    writeFileSync(file, "# empty for now\n");
    const store = new BridgeConfigStore(file, manager, {});
    await store.put("site", { type: "websocket", token: "site-secret-token-0001", listenPort: 0 });
    expect(readFileSync(file, "utf8")).toContain("# empty for now");
    expect(loadConfig(file).config.bridges?.site?.type).toBe("websocket");
  });
});
