import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { stringify } from "yaml";
import { requireBuiltCli, runCli, type StartedAgent, startCli } from "../api/cli-process.js";
import { freePort } from "../fleet/sshd.js";
import { TEST_THREADS, testModelPath } from "../support/test-model.js";
import { until } from "../support/until.js";

/**
 * Backup and restore with real agents (`clawbox start`, the test model, a WebSocket bridge): on agent A a
 * sender pairs through the bridge, the owner approves, the model answers; `clawbox backup create` runs
 * while A serves. `clawbox backup restore` into a fresh data dir and config brings back the API token,
 * the conversations, the bridge and the approved sender: agent B answers that sender without a new
 * pairing. A wrong passphrase or one flipped byte is refused with a clear message and changes no file.
 */

const PASSPHRASE = "correct horse battery staple";
const WS_TOKEN = "ws-bridge-token-0123456789";
let root: string;
let model: string;
let wsPort: number;
let passFile: string;
let backupFile: string;
let tokenA: string;
let conversationsA: number;
const agents: StartedAgent[] = [];

function cfg(name: string): string {
  const file = join(root, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      bridges: {
        chat: {
          type: "websocket",
          token: WS_TOKEN,
          listenHost: "127.0.0.1",
          listenPort: wsPort,
          dmPolicy: "pairing",
        },
      },
    }),
  );
  return file;
}

async function start(dataDir: string, config: string): Promise<StartedAgent> {
  const agent = await startCli([
    ...["--config", config, "--model", model, "--port", "0", "--data-dir", dataDir],
    ...["--threads", String(TEST_THREADS), "--context-size", "256"],
  ]);
  agents.push(agent);
  await until(async () => (await fetch(`${agent.url}/healthz`).catch(() => null))?.status === 200, "healthy");
  return agent;
}

/** A WebSocket chat client of the bridge: sends as "alice", collects (and acks) replies. */
async function alice() {
  const ws = await until(
    () =>
      new Promise<WebSocket | null>((resolve) => {
        const s = new WebSocket(`ws://127.0.0.1:${wsPort}/`, {
          headers: { authorization: `Bearer ${WS_TOKEN}` },
        });
        s.once("open", () => resolve(s));
        s.once("error", () => resolve(null));
      }),
    "bridge listening",
  );
  const replies: string[] = [];
  ws.on("message", (d) => {
    const f = JSON.parse(String(d));
    if (f.type !== "reply") return;
    replies.push(f.text);
    ws.send(JSON.stringify({ type: "ack", messageId: f.messageId }));
  });
  const say = (id: string, text: string) =>
    ws.send(JSON.stringify({ type: "message", id, chatId: "dm-alice", senderId: "alice", text }));
  return { ws, replies, say };
}

/** `clawbox backup restore <file>` into `dataDir` and `config` with the passphrase in `pass`. */
function restore(file: string, dataDir: string, config: string, pass: string) {
  return runCli(
    ["backup", "restore", file, "--data-dir", dataDir, "--config", config, "--passphrase-file", pass],
    { timeoutMs: 60_000 },
  );
}

async function status(agent: StartedAgent, token: string) {
  const res = await fetch(`${agent.url}/admin/status`, { headers: { authorization: `Bearer ${token}` } });
  return { code: res.status, body: (await res.json()) as { conversations: number } };
}

/** SHA-256 of every file under `dir` (path → hash), to prove a refused restore changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  requireBuiltCli();
  root = mkdtempSync(join(tmpdir(), "clawbox-restore-"));
  model = await testModelPath();
  wsPort = await freePort();
  passFile = join(root, "passphrase");
  writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  const dataA = join(root, "a");
  const configA = cfg("a");
  const a = await start(dataA, configA);
  tokenA = (await runCli(["token", "--data-dir", dataA])).stdout.trim();

  const client = await alice();
  client.say("1", "hello");
  const pairing = await until(() => client.replies[0], "pairing code", 30_000);
  const code = /pairing code is ([A-HJ-NP-Z2-9]{8})/.exec(pairing)?.[1];
  expect(code, pairing).toBeTruthy();
  const approved = await runCli(["pairing", "approve", "chat", code as string, "--data-dir", dataA]);
  expect(approved.code, approved.stderr).toBe(0);
  client.say("2", "Once upon a time");
  await until(() => client.replies[1], "model reply on A", 30_000);
  client.ws.close();
  conversationsA = (await status(a, tokenA)).body.conversations;
  expect(conversationsA).toBeGreaterThan(0);

  // online: agent A keeps running while the snapshot is taken
  const made = await runCli(
    ["backup", "create", "--data-dir", dataA, "--config", configA, "--passphrase-file", passFile],
    { timeoutMs: 60_000 },
  );
  expect(made.code, made.stderr).toBe(0);
  backupFile = made.stdout.split(" ")[0] as string;
  expect(backupFile).toMatch(/clawbox-\d{8}T\d{9}Z\.cbx$/);
  await a.stop();
}, 240_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("clawbox backup", () => {
  it("lists the backup", async () => {
    const listed = await runCli([
      "backup",
      "list",
      "--data-dir",
      join(root, "a"),
      "--config",
      join(root, "a.yaml"),
    ]);
    expect(listed.stdout).toContain(backupFile);
  });

  it("refuses a wrong passphrase and a damaged archive, changing nothing", async () => {
    const dataC = join(root, "c");
    const configC = join(root, "c.yaml");
    writeFileSync(configC, "log:\n  level: warn\n");
    // a device that already has its own state
    expect((await runCli(["token", "--data-dir", dataC])).code).toBe(0);
    const before = { data: snapshot(dataC), config: readFileSync(configC, "utf8") };

    const wrongFile = join(root, "wrong");
    writeFileSync(wrongFile, "not the passphrase at all\n");
    const wrong = await restore(backupFile, dataC, configC, wrongFile);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("the passphrase does not match this backup");
    expect(wrong.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const bytes = readFileSync(backupFile);
    const damagedFile = join(root, "damaged.cbx");
    const flipped = Buffer.from(bytes);
    const at = Math.floor(flipped.length / 2);
    flipped[at] = (flipped[at] as number) ^ 0x01;
    writeFileSync(damagedFile, flipped);
    const damaged = await restore(damagedFile, dataC, configC, passFile);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain("this backup is damaged");

    expect(snapshot(dataC)).toEqual(before.data);
    expect(readFileSync(configC, "utf8")).toBe(before.config);
  }, 120_000);

  it("restores token, conversations, bridge and pairing on a fresh data dir", async () => {
    const dataB = join(root, "b");
    const configB = join(root, "b.yaml");
    writeFileSync(configB, "log:\n  level: info\n");
    const restored = await restore(backupFile, dataB, configB, passFile);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain("clawbox.db");
    // the bridge token comes back sealed (secrets at rest) with the device key that opens it: the
    // WebSocket bridge below only answers alice if B can open it
    expect(readFileSync(configB, "utf8")).not.toContain(WS_TOKEN);
    expect(readFileSync(configB, "utf8")).toMatch(/token: enc\.v1\./);
    expect(statSync(join(dataB, "device-key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataB, "api-token")).mode & 0o777).toBe(0o600);

    const b = await start(dataB, configB);
    const s = await status(b, tokenA);
    expect(s.code).toBe(200);
    expect(s.body.conversations).toBe(conversationsA);

    const pairing = await runCli(["pairing", "list", "--data-dir", dataB]);
    expect(pairing.stdout).toMatch(/Approved:\n\s+chat\s+alice/);
    const client = await alice();
    client.say("3", "Once upon a time");
    const reply = await until(() => client.replies[0], "model reply on B", 30_000);
    expect(reply).not.toMatch(/pairing code/);
    client.ws.close();
  }, 120_000);
});
