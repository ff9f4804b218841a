import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { openDatabase } from "../../agent/src/store/database.js";
import { requireBuiltCli, type StartedAgent, startCli } from "../api/cli-process.js";
import { freePort } from "../fleet/sshd.js";
import { until } from "../support/until.js";

/**
 * Reminders survive a restart, in the real agent process (`clawbox start`, no model needed: commands are
 * answered by the router) with a real WebSocket bridge: a reminder set in chat falls due while the agent
 * is stopped; the next start delivers it once, and a further restart does not deliver it again. A
 * near-due reminder set in the running agent arrives on its own timer.
 */

const TOKEN = "reminder-test-token-0123456789";

/** A chat front-end on the WebSocket channel: one sender in one chat; acknowledges and collects replies. */
class ChatClient {
  readonly replies: { text: string; outboxId: string }[] = [];
  private n = 0;
  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const f = JSON.parse(String(data)) as {
        type: string;
        messageId: string;
        text: string;
        outboxId: string;
      };
      if (f.type !== "reply") return;
      this.replies.push({ text: f.text, outboxId: f.outboxId });
      ws.send(JSON.stringify({ type: "ack", messageId: f.messageId }));
    });
  }

  /** Connects, retrying while the bridge is still starting. */
  static async connect(port: number): Promise<ChatClient> {
    const ws = await until(
      () =>
        new Promise<WebSocket | null>((resolve) => {
          const s = new WebSocket(`ws://127.0.0.1:${port}/`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          s.once("open", () => resolve(s));
          s.once("error", () => resolve(null));
        }),
      "the WebSocket bridge",
    );
    return new ChatClient(ws);
  }

  say(text: string): void {
    this.ws.send(
      JSON.stringify({
        type: "message",
        id: `m${++this.n}-${Date.now()}`,
        chatId: "kitchen",
        senderId: "ann",
        text,
      }),
    );
  }

  close(): void {
    this.ws.close();
  }
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("reminders across agent restarts (real process, WebSocket bridge)", () => {
  it("delivers a reminder that fell due while the agent was stopped exactly once", {
    timeout: 120_000,
  }, async () => {
    requireBuiltCli();
    const dataDir = mkdtempSync(join(tmpdir(), "clawbox-reminders-e2e-"));
    dirs.push(dataDir);
    const port = await freePort();
    const configFile = join(dataDir, "config.yaml");
    writeFileSync(
      configFile,
      [
        "bridges:",
        "  home:",
        "    type: websocket",
        `    token: ${TOKEN}`,
        "    listenHost: 127.0.0.1",
        `    listenPort: ${port}`,
        "    dmPolicy: open",
        "",
      ].join("\n"),
    );
    const start = () =>
      startCli(["--config", configFile, "--port", "0", "--data-dir", dataDir, "--threads", "1"]);
    const reminders = (c: ChatClient, text: string) =>
      c.replies.filter((r) => r.text === `⏰ Reminder: ${text}`);
    let agent: StartedAgent | undefined;
    try {
      // life 1: set a reminder 4 s ahead, then stop before it is due
      agent = await start();
      const first = await ChatClient.connect(port);
      first.say("/remind in 4s feed the cat");
      const set = await until(
        () => first.replies.find((r) => r.text.startsWith("Reminder #1 set")),
        "the confirmation",
      );
      expect(set.text).toMatch(/feed the cat$/);
      const dueAt = Date.now() + 4000;
      first.close();
      await agent.stop();
      await new Promise((r) => setTimeout(r, Math.max(0, dueAt - Date.now()) + 1000));

      // life 2: the missed reminder arrives once at start; a near-due one arrives on its timer
      agent = await start();
      const second = await ChatClient.connect(port);
      await until(() => reminders(second, "feed the cat").length > 0, "the missed reminder", 20_000);
      second.say("/remind in 2s tea");
      await until(() => reminders(second, "tea").length > 0, "the near-due reminder", 20_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(reminders(second, "feed the cat")).toHaveLength(1);
      expect(reminders(second, "tea")).toHaveLength(1);
      second.close();
      await agent.stop();

      // life 3: nothing is delivered again
      agent = await start();
      const third = await ChatClient.connect(port);
      third.say("/reminders");
      await until(() => third.replies.find((r) => r.text.startsWith("No reminders")), "the empty list");
      await new Promise((r) => setTimeout(r, 1500));
      expect(third.replies.filter((r) => r.text.startsWith("⏰"))).toEqual([]);
      third.close();
      await agent.stop();
      agent = undefined;

      const db = openDatabase(dataDir);
      try {
        const rows = db.prepare("SELECT text, status, runs FROM reminders ORDER BY id").all();
        expect(rows).toEqual([
          { text: "feed the cat", status: "done", runs: 1 },
          { text: "tea", status: "done", runs: 1 },
        ]);
        const sent = db
          .prepare("SELECT COUNT(*) FROM bridge_outbox WHERE text LIKE '⏰%' AND status = 'sent'")
          .pluck()
          .get();
        expect(sent).toBe(2);
      } finally {
        db.close();
      }
    } finally {
      await agent?.stop();
    }
  });
});
