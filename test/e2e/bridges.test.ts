import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { parse } from "yaml";
import type { BridgeConfig } from "../../agent/src/bridges/config-schema.js";
import { openBridgeSecrets } from "../../agent/src/secrets/bridge-secrets.js";
import { loadDeviceKey } from "../../agent/src/secrets/device-key.js";
import { readSetupCode } from "../../agent/src/setup/setup-code.js";
import { requireBuiltCli, type StartedAgent, startCli } from "../api/cli-process.js";
import { TEST_THREADS, testModelPath } from "../support/test-model.js";
import { ensureWebAppBuilt, launchChromium, shot } from "./browser.js";

/**
 * Bridges and pairing in real headless chromium against the real agent process with the test model:
 * the wizard's messaging step tests and saves a WebSocket bridge; in the dashboard the owner sees a
 * clear reason for a failing test connection (IRC at a closed port), adds a second WebSocket bridge,
 * a stranger connecting over it gets a pairing code, the owner approves it under Pairing, and the
 * stranger's next message gets a model answer. Removing the first bridge leaves the second connected.
 * Screenshots go to artifacts/e2e/bridges-*.png.
 */

const PHONE = { width: 390, height: 844 };
const PASSWORD = "purple-tractor-sings-42";
const SITE_TOKEN = "site-token-0123456789";
const FAMILY_TOKEN = "family-token-0123456789";
let browser: Browser;

const poll = <T>(fn: () => Promise<T> | T, timeout = 20_000) => expect.poll(fn, { timeout, interval: 100 });
const heading = (page: Page) => page.locator("main h1");

/** A TCP port that was free a moment ago (nothing listens there afterwards: a closed port). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A chat front-end on the WebSocket channel: sends messages as one sender, acknowledges and collects replies. */
class Stranger {
  readonly replies: string[] = [];
  private n = 0;
  private constructor(
    readonly ws: WebSocket,
    readonly senderId: string,
  ) {
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { type: string; messageId: string; text: string };
      if (frame.type !== "reply") return;
      this.replies.push(frame.text);
      ws.send(JSON.stringify({ type: "ack", messageId: frame.messageId }));
    });
  }

  static async connect(port: number, token: string, senderId: string): Promise<Stranger> {
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/`, {
        headers: { authorization: `Bearer ${token}` },
      });
      socket.once("open", () => resolve(socket));
      socket.once("error", reject);
    });
    return new Stranger(ws, senderId);
  }

  say(text: string): void {
    const id = `${this.senderId}-${++this.n}`;
    this.ws.send(
      JSON.stringify({ type: "message", id, chatId: `dm-${this.senderId}`, senderId: this.senderId, text }),
    );
  }
}

/** The config file's bridges with their sealed secrets opened with the data dir's device key. */
function storedBridges(dataDir: string, configFile: string): Record<string, { token?: string }> {
  const doc = parse(readFileSync(configFile, "utf8")) as { bridges?: Record<string, BridgeConfig> };
  return openBridgeSecrets(loadDeviceKey(dataDir).key, doc.bridges ?? {}) as Record<
    string,
    { token?: string }
  >;
}

async function setupApi(agent: StartedAgent, code: string, path: string, body: object): Promise<void> {
  const res = await fetch(`${agent.url}/api/setup/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-setup-code": code },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST /api/setup/${path}: ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  requireBuiltCli();
  ensureWebAppBuilt();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe("bridges and pairing in chromium", () => {
  it("wizard saves a bridge; dashboard explains a failed test, adds a bridge, approves a stranger who then gets an answer", {
    timeout: 180_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "clawbox-e2e-bridges-"));
    const configFile = join(dataDir, "config.yaml");
    writeFileSync(configFile, "# the owner's own notes\nlog:\n  level: info\n");
    let agent: StartedAgent | undefined;
    const strangers: Stranger[] = [];
    try {
      agent = await startCli([
        "--config",
        configFile,
        "--port",
        "0",
        "--data-dir",
        dataDir,
        "--threads",
        String(TEST_THREADS),
        "--context-size",
        "256",
        "--model",
        await testModelPath(),
      ]);
      const code = readSetupCode(dataDir) as string;
      // the steps before messaging through the setup API (the wizard test covers them in the browser)
      await setupApi(agent, code, "welcome", { language: "en" });
      await setupApi(agent, code, "admin", { username: "owner", password: PASSWORD });
      await setupApi(agent, code, "device", { name: "bridge-box", timezone: "UTC" });
      for (const step of ["network", "model", "download"]) await setupApi(agent, code, "skip", { step });

      const context = await browser.newContext({ viewport: PHONE, locale: "en-US" });
      // the code as if typed on the welcome screen (the web app keeps it in sessionStorage)
      await context.addInitScript({
        content: `sessionStorage.setItem("clawbox.setupCode", ${JSON.stringify(code)});`,
      });
      const page = await context.newPage();
      await page.goto(agent.url);
      await poll(() => heading(page).textContent()).toBe("Messaging");

      // wizard step 7: a WebSocket bridge, tested, then saved
      const sitePort = await freePort();
      await page.getByLabel("Which messaging app?").selectOption("websocket");
      await page.getByLabel("Name (bridge id)").fill("site");
      await page.getByLabel("Token *").fill(SITE_TOKEN);
      await page.getByLabel("Listen on port *").fill(String(sitePort));
      await poll(() => page.getByLabel("Token *").getAttribute("type")).toBe("password");
      await page.getByRole("button", { name: "Test connection" }).click();
      await poll(() => page.locator(".test-result").textContent()).toMatch(
        /^Connection works: signed in as websocket:site \(\d+ ms\)\.$/,
      );
      await shot(page, "bridges-01-wizard-test");
      await page.getByRole("button", { name: "Save" }).click();
      await poll(() => page.getByRole("status").first().textContent()).toBe("Bridge site saved and started.");
      await poll(() => page.locator(".bridge-list li").first().textContent()).toMatch(/^site\s*websocket/);
      await poll(() => page.getByLabel("API token").inputValue()).toMatch(/^cbx_/);
      await shot(page, "bridges-02-wizard-saved");
      await page.getByRole("button", { name: "Next" }).click();
      await poll(() => heading(page).textContent()).toBe("Remote management");
      await page.getByRole("button", { name: "Set up later" }).click();
      await poll(() => heading(page).textContent()).toBe("Finish");
      await page.getByRole("button", { name: "Finish and open the dashboard" }).click();
      await poll(() => heading(page).textContent()).toBe("Status");

      // dashboard: the wizard's bridge is connected
      await page.getByRole("link", { name: "Bridges" }).click();
      await poll(() => page.locator('[data-bridge="site"]').textContent()).toContain("connected");

      // a failing test connection says why: IRC at a closed port
      const closed = await freePort();
      await page.getByRole("button", { name: "Add a bridge" }).click();
      await page.getByLabel("Bridge type").selectOption("irc");
      await page.getByLabel("Name (bridge id)").fill("lan");
      await page.getByLabel("Server host *").fill("127.0.0.1");
      await page.getByLabel("Nickname *").fill("clawbox");
      await page.getByText("More settings").click();
      await page.getByLabel("Port", { exact: true }).fill(String(closed));
      await page.getByLabel("Use TLS").uncheck();
      await page.getByRole("button", { name: "Test connection" }).click();
      // a headline by kind (in the owner's language), then the agent's detail
      await poll(() => page.locator(".test-result").textContent()).toMatch(
        new RegExp(
          `^The server cannot be reached: check the host, port and network\\.Connection failed: .*127\\.0\\.0\\.1:${closed}`,
        ),
      );
      await shot(page, "bridges-03-test-failed");
      await page.getByRole("button", { name: "Cancel" }).click();

      // the owner adds a second WebSocket bridge from the dashboard, with the keyboard for the last field
      const familyPort = await freePort();
      await page.getByRole("button", { name: "Add a bridge" }).click();
      await page.getByLabel("Bridge type").selectOption("websocket");
      await page.getByLabel("Name (bridge id)").fill("family");
      await page.getByLabel("Token *").fill(FAMILY_TOKEN);
      await page.getByLabel("Listen on port *").fill(String(familyPort));
      await page.keyboard.press("Enter");
      await poll(() => page.getByRole("status").first().textContent()).toBe(
        "Bridge family saved and started.",
      );
      await poll(() => page.locator('[data-bridge="family"]').textContent()).toContain("connected");
      await shot(page, "bridges-04-dashboard-list");
      const saved = readFileSync(configFile, "utf8");
      expect(saved).toContain("# the owner's own notes");
      // both tokens are saved sealed with the device key: not readable in the file, but they open
      expect(saved).not.toContain(FAMILY_TOKEN);
      expect(saved).not.toContain(SITE_TOKEN);
      expect(storedBridges(dataDir, configFile).family?.token).toBe(FAMILY_TOKEN);
      expect(storedBridges(dataDir, configFile).site?.token).toBe(SITE_TOKEN);
      expect(await page.content()).not.toContain(FAMILY_TOKEN);

      // a stranger writes over the family bridge and gets a pairing code, not the model
      const stranger = await Stranger.connect(familyPort, FAMILY_TOKEN, "stranger-1");
      strangers.push(stranger);
      stranger.say("hello?");
      await poll(() => stranger.replies.length).toBe(1);
      const pairingCode = /pairing code is ([A-Z0-9]{8})/.exec(stranger.replies[0] as string)?.[1];
      expect(pairingCode).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);

      // the owner approves it in the dashboard (the list refreshes by itself)
      await page.getByRole("link", { name: "Pairing" }).click();
      await poll(() => page.locator(`tr[data-code="${pairingCode}"]`).textContent()).toMatch(
        /^familystranger-1.*ago/,
      );
      await shot(page, "bridges-05-pairing-request");
      await page.getByRole("button", { name: `Approve ${pairingCode}` }).click();
      await poll(() => page.getByRole("status").first().textContent()).toBe(
        "stranger-1 may now talk to the assistant on family.",
      );
      await poll(() => page.getByRole("button", { name: "Revoke stranger-1" }).count()).toBe(1);
      await shot(page, "bridges-06-approved");

      // the stranger's next message gets an answer from the model
      stranger.say("Once upon a time");
      await poll(() => stranger.replies.length, 60_000).toBe(2);
      expect(stranger.replies[1]).toMatch(/\w{2,}/);
      expect(stranger.replies[1]).not.toContain("pairing code");

      // editing the wizard's bridge: the stored token shows as ******** and is kept; only that bridge restarts
      await page.getByRole("link", { name: "Bridges" }).click();
      await page.getByRole("button", { name: "Edit site" }).click();
      await poll(() => page.getByLabel("Token *").inputValue()).toBe("********");
      // unchanged settings: the running bridge itself answers the test
      await page.getByRole("button", { name: "Test connection" }).click();
      await poll(() => page.locator(".test-result").textContent()).toBe(
        "This bridge is running and connected with these settings.",
      );
      await page.getByLabel("Direct messages").selectOption("open");
      await shot(page, "bridges-07-edit");
      await page.getByRole("button", { name: "Save" }).click();
      await poll(() => page.getByRole("status").first().textContent()).toBe("Bridge site saved and started.");
      const edited = readFileSync(configFile, "utf8");
      expect(storedBridges(dataDir, configFile).site?.token).toBe(SITE_TOKEN);
      expect(edited).toContain("dmPolicy: open");
      expect(stranger.ws.readyState).toBe(WebSocket.OPEN);

      // removing the wizard's bridge (confirmed) leaves the family bridge's connection alone
      await page.getByRole("button", { name: "Remove site" }).click();
      await page.getByRole("button", { name: "Yes, remove" }).click();
      await poll(() => page.getByRole("status").first().textContent()).toBe("Bridge site removed.");
      await poll(() => page.locator('[data-bridge="site"]').count()).toBe(0);
      expect(stranger.ws.readyState).toBe(WebSocket.OPEN);
      expect(storedBridges(dataDir, configFile).site).toBeUndefined();
      await shot(page, "bridges-08-removed");

      // the same screens in Chinese
      await page.getByLabel("Language").selectOption("zh-CN");
      await poll(() => heading(page).textContent()).toBe("消息桥接");
      await poll(() => page.locator('[data-bridge="family"]').textContent()).toContain("已连接");
      await page.getByRole("button", { name: "添加桥接" }).click();
      await page.getByLabel("桥接类型").selectOption("websocket");
      await poll(() => page.getByLabel("监听端口 *").count()).toBe(1);
      await shot(page, "bridges-09-zh-add");
      await page.getByRole("link", { name: "配对" }).click();
      await poll(() => page.getByRole("button", { name: "撤销 stranger-1" }).count()).toBe(1);
      await shot(page, "bridges-10-zh-pairing");
      await context.close();
    } finally {
      for (const s of strangers) s.ws.close();
      await agent?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
