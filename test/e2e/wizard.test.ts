import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSetupCode } from "../../agent/src/setup/setup-code.js";
import { requireBuiltCli, type StartedAgent, startCli } from "../api/cli-process.js";
import { TEST_THREADS, testModelPath } from "../support/test-model.js";
import { ensureWebAppBuilt, launchChromium, shot } from "./browser.js";
import { writeFakeDeviceTools } from "./fake-device-tools.js";
import { type ModelServer, startModelServer } from "./model-server.js";

/**
 * The whole first-boot journey in real headless chromium against the real agent process: setup code,
 * admin, device, network (explained skip), model, download with reload and pause/resume, messaging, SSH
 * key, finish (double click), 410 afterwards, login/logout, and a streamed chat in the playground —
 * once in English and once in Chinese. Screenshots of every step go to artifacts/e2e/.
 */

const PHONE = { width: 390, height: 844 };
const PASSWORD = "purple-tractor-sings-42";
let browser: Browser;
let models: ModelServer;

function sshKeyLine(): string {
  const { publicKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  const wire = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  return `ssh-ed25519 ${Buffer.concat([wire(Buffer.from("ssh-ed25519")), wire(raw)]).toString("base64")} ops@fleet`;
}

interface Run {
  agent: StartedAgent;
  dataDir: string;
  code: string;
  context: BrowserContext;
  page: Page;
  /** Calls of the stand-in device tools (deviceTools runs only). */
  deviceCalls: () => string[][];
}

async function startRun(opts: { deviceTools?: boolean } = {}): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), "clawbox-e2e-"));
  const extra: string[] = [];
  const path = process.env.PATH;
  let deviceCalls = (): string[][] => [];
  if (opts.deviceTools) {
    // "device" system actions against stand-in hostnamectl/timedatectl/nmcli found first on PATH
    const tools = writeFakeDeviceTools(join(dataDir, "fake"));
    deviceCalls = tools.calls;
    writeFileSync(join(dataDir, "config.yaml"), "system:\n  actions: device\n");
    extra.push("--config", join(dataDir, "config.yaml"));
    process.env.PATH = `${tools.bin}:${path}`;
  }
  const agent = await startCli([
    ...extra,
    "--port",
    "0",
    "--data-dir",
    dataDir,
    "--threads",
    String(TEST_THREADS),
    "--context-size",
    "256",
  ]).finally(() => {
    process.env.PATH = path;
  });
  const code = readSetupCode(dataDir) as string;
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US" });
  const page = await context.newPage();
  return { agent, dataDir, code, context, page, deviceCalls };
}

async function endRun(run: Run | undefined): Promise<void> {
  if (!run) return;
  await run.context.close();
  await run.agent.stop();
  rmSync(run.dataDir, { recursive: true, force: true });
}

const heading = (page: Page) => page.locator("main h1");

/** Presses Tab until the focused control is named `name` (keyboard-only use); fails after 25 presses. */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press("Tab");
    if (
      (await page
        .locator(":focus")
        .getAttribute("name")
        .catch(() => null)) === name
    )
      return;
  }
  throw new Error(`Tab never reached the control named ${name}`);
}

/**
 * expect.poll with room for a loaded 2-core machine: the admin step hashes with scrypt (128 MiB, about
 * 0.3 s idle, seconds when other tests run), so the default 1 s is too short.
 */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 20_000, interval: 100 });

beforeAll(async () => {
  requireBuiltCli();
  ensureWebAppBuilt();
  // The slow path takes 10 s for the whole file: long enough to reload and pause mid-download on a busy machine.
  models = await startModelServer(await testModelPath(), 10);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await models?.close();
});

describe("setup wizard and dashboard in chromium", () => {
  it("English: whole wizard with wrong code, weak password, reload + pause/resume during download, double-click finish, 410, logout/login, chat", {
    timeout: 180_000,
  }, async () => {
    let run: Run | undefined;
    try {
      run = await startRun();
      const { page, agent, code } = run;
      await page.goto(agent.url);
      await poll(() => heading(page).textContent()).toBe("Welcome");
      await shot(page, "en-01-welcome");

      // wrong code
      await page.getByLabel("Setup code").fill("ABCDEFGH" === code ? "ABCDEFGJ" : "ABCDEFGH");
      await page.getByRole("button", { name: "Start setup" }).click();
      await poll(() => page.getByRole("alert").first().textContent()).toContain("setup code is wrong");
      await shot(page, "en-01b-wrong-code");
      // right code, typed grouped and in lower case, submitted with the keyboard
      await page.getByLabel("Setup code").fill(`${code.slice(0, 4).toLowerCase()}-${code.slice(4)}`);
      await page.getByLabel("Setup code").press("Enter");
      await poll(() => heading(page).textContent()).toBe("Admin account");

      // weak password
      await page.getByLabel("User name").fill("owner");
      await page.getByLabel("Password", { exact: true }).fill("password123");
      await page.getByLabel("Repeat password").fill("password123");
      await page.getByRole("button", { name: "Next" }).click();
      await poll(() => page.getByRole("alert").first().textContent()).toContain("commonly used password");
      await shot(page, "en-02-admin-weak");
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByLabel("Repeat password").fill(PASSWORD);
      await page.getByRole("button", { name: "Next" }).click();
      await poll(() => heading(page).textContent()).toBe("Device");

      await page.getByLabel("Device name").fill("Kitchen-Box");
      await page.getByLabel("Time zone").selectOption("Europe/Berlin");
      await shot(page, "en-03-device");
      await page.getByRole("button", { name: "Next" }).click();
      await poll(() => heading(page).textContent()).toBe("Network");
      await poll(() => page.locator(".note").textContent()).toContain("development mode");
      await shot(page, "en-04-network");
      await page.getByRole("button", { name: "Next" }).click();

      await poll(() => heading(page).textContent()).toBe("Hardware and model");
      await poll(() => page.getByText("Processor:").count()).toBe(1);
      await shot(page, "en-05-model");
      await page.getByLabel("Download a model").fill(models.url("stories-Q8_0.gguf", true));
      await page
        .locator("form")
        .filter({ has: page.getByLabel("Download a model") })
        .getByRole("button")
        .click();
      await poll(() => heading(page).textContent()).toBe("Download");

      await page.getByRole("button", { name: "Start download" }).click();
      await expect
        .poll(() => page.locator(".download-text").textContent(), { timeout: 10_000 })
        .toMatch(/B of \d/);
      await shot(page, "en-06-download");
      // reload mid-download: the page comes back to the download step and keeps following it
      await page.reload();
      await poll(() => heading(page).textContent()).toBe("Download");
      await poll(() => page.getByRole("button", { name: "Pause" }).count()).toBe(1);
      await page.getByRole("button", { name: "Pause" }).click();
      await poll(() => page.getByRole("status").first().textContent()).toContain("Paused");
      await page.getByRole("button", { name: "Resume" }).click();
      await expect.poll(() => page.getByText("Download complete").count(), { timeout: 30_000 }).toBe(1);
      expect(models.requests.some((r) => r.range?.startsWith("bytes="))).toBe(true);
      await shot(page, "en-06b-download-done");
      await page.getByRole("button", { name: "Next" }).click();

      await poll(() => heading(page).textContent()).toBe("Messaging");
      await poll(() => page.getByLabel("API token").inputValue()).toMatch(/^cbx_/);
      await shot(page, "en-07-messaging");
      await page.getByRole("button", { name: "Next" }).click();

      await poll(() => heading(page).textContent()).toBe("Remote management");
      await page.getByLabel("SSH public key").fill("ssh-rsa AAAAB3NzaC1yc2E too-short");
      await page.getByRole("button", { name: "Add key" }).click();
      await poll(() => page.getByRole("alert").first().textContent()).toContain("key data");
      await page.getByLabel("SSH public key").fill(sshKeyLine());
      await page.getByRole("button", { name: "Add key" }).click();
      await poll(() => page.getByRole("status").first().textContent()).toContain(
        "Added ssh-ed25519 key SHA256:",
      );
      await shot(page, "en-08-remote");
      await page.getByRole("button", { name: "Next" }).click();

      await poll(() => heading(page).textContent()).toBe("Finish");
      await shot(page, "en-09-finish");
      const finishes: string[] = [];
      page.on("request", (r) => {
        if (r.url().endsWith("/api/setup/finish")) finishes.push(r.method());
      });
      await page.getByRole("button", { name: "Finish and open the dashboard" }).dblclick();
      await poll(() => heading(page).textContent()).toBe("Status");
      expect(finishes).toEqual(["POST"]);
      await shot(page, "en-10-dashboard");

      // setup is over for good
      const again = await fetch(`${agent.url}/api/setup/admin`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-setup-code": code },
        body: JSON.stringify({ username: "intruder", password: PASSWORD }),
      });
      expect(again.status).toBe(410);

      // chat in the playground, streamed from the downloaded model
      await page.getByRole("link", { name: "Playground" }).click();
      await page.getByLabel("Message").fill("Once upon a time");
      await page.getByRole("button", { name: "Send" }).click();
      await expect
        .poll(() => page.locator(".msg.assistant p").textContent(), { timeout: 30_000 })
        .toMatch(/\S{2,}/);
      await expect
        .poll(() => page.getByRole("button", { name: "Send" }).isEnabled(), { timeout: 30_000 })
        .toBe(true);
      await shot(page, "en-11-playground");

      // logout, wrong login, keyboard-only login
      await page.getByRole("button", { name: /Log out/ }).click();
      await poll(() => page.locator("main h1").textContent()).toBe("Log in");
      await page.getByLabel("User name").fill("owner");
      await page.getByLabel("Password").fill("not-the-password");
      await page.getByRole("button", { name: "Log in" }).click();
      await poll(() => page.getByRole("alert").first().textContent()).toContain(
        "Wrong user name or password",
      );
      await page.getByLabel("Password").fill("");
      await page.getByLabel("User name").focus();
      await page.keyboard.press("Tab");
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press("Enter");
      // back in the section the user left (the URL hash)
      await poll(() => heading(page).textContent()).toBe("Playground");
      // a reload keeps the session; the wizard is never shown again
      await page.reload();
      await poll(() => heading(page).textContent()).toBe("Playground");
      await page.getByRole("link", { name: "Status" }).click();
      await poll(() => page.locator("figcaption").count()).toBeGreaterThan(3);

      // the other dashboard sections answer and show their data
      await page.getByRole("link", { name: "Models" }).click();
      await poll(() => page.locator(".models li").first().textContent()).toMatch(
        /stories-Q8_0\.gguf.*in use/,
      );
      await shot(page, "en-13-models");
      await page.getByRole("link", { name: "Logs" }).click();
      await page.getByLabel("Filter").fill("login");
      await page.getByRole("button", { name: "Refresh" }).click();
      await poll(() => page.locator(".logs tr").first().textContent()).toMatch(/login/);
      await shot(page, "en-14-logs");
      await page.getByRole("link", { name: "Settings" }).click();
      await poll(() => page.getByLabel("Device name").inputValue()).toBe("kitchen-box");
      await poll(() => page.locator(".keys li").count()).toBe(1);
      const before = await page.getByLabel("API token").inputValue();
      await page.getByRole("button", { name: "Rotate token" }).click();
      await poll(() => page.getByLabel("API token").inputValue()).not.toBe(before);
      await shot(page, "en-15-settings");
      await shot(page, "en-12-after-login");
    } finally {
      await endRun(run);
    }
  });

  it("Chinese: the whole wizard in 简体中文 through to a chat, with device actions (hostname, time zone, Wi-Fi)", {
    timeout: 180_000,
  }, async () => {
    let run: Run | undefined;
    try {
      run = await startRun({ deviceTools: true });
      const { page, agent, code } = run;
      await page.goto(agent.url);
      await poll(() => heading(page).textContent()).toBe("Welcome");
      // keyboard only: language radio with the arrow key, code, Enter
      await tabTo(page, "lang");
      await page.keyboard.press("ArrowDown");
      await poll(() => heading(page).textContent()).toBe("欢迎");
      await poll(() => page.locator("html").getAttribute("lang")).toBe("zh-CN");
      await shot(page, "zh-01-welcome");
      await tabTo(page, "setup-code");
      await page.keyboard.type(code);
      await page.keyboard.press("Enter");

      // keyboard only: user name, a weak password, then a strong one
      await poll(() => heading(page).textContent()).toBe("管理员账户");
      await tabTo(page, "username");
      await page.keyboard.press("Control+A");
      await page.keyboard.type("laoban");
      await page.keyboard.press("Tab");
      await page.keyboard.type("短密码");
      await page.keyboard.press("Tab");
      await page.keyboard.type("短密码");
      await page.keyboard.press("Enter");
      await poll(() => page.getByRole("alert").first().textContent()).toContain("太短");
      await shot(page, "zh-02-admin-weak");
      await tabTo(page, "password");
      await page.keyboard.press("Control+A");
      await page.keyboard.type("我的密码很长而且不常见呢");
      await page.keyboard.press("Tab");
      await page.keyboard.press("Control+A");
      await page.keyboard.type("我的密码很长而且不常见呢");
      await page.keyboard.press("Enter");

      await poll(() => heading(page).textContent()).toBe("设备");
      await page.getByLabel("设备名称").fill("厨房");
      await page.getByRole("button", { name: "下一步" }).click();
      await poll(() => page.getByRole("alert").first().textContent()).toContain("只能使用字母");
      await page.getByLabel("设备名称").fill("chufang-box");
      await page.getByLabel("时区").selectOption("Asia/Shanghai");
      await shot(page, "zh-03-device");
      await page.getByRole("button", { name: "下一步" }).click();

      await poll(() => heading(page).textContent()).toBe("网络");
      await page.getByLabel("Home:5G").check();
      await page.getByLabel("Wi-Fi 密码").fill("correct horse battery");
      await shot(page, "zh-04-network");
      await page.getByRole("button", { name: "连接" }).click();
      await poll(() => page.getByRole("status").first().textContent()).toBe("已连接到 Home:5G。");
      await page.getByRole("button", { name: "下一步" }).click();
      await poll(() => heading(page).textContent()).toBe("硬件与模型");
      await poll(() => page.getByText("处理器：").count()).toBe(1);
      // the recommendation's reason is Chinese sentences (catalogue model.reason.*) naming the chosen model
      const hw = await fetch(`${agent.url}/api/setup/hardware`, { headers: { "x-setup-code": code } });
      const parts = (
        (await hw.json()) as {
          recommendation: { reasonParts: { key: string; params: { model?: string } }[] };
        }
      ).recommendation.reasonParts;
      const reason = (await page.locator(".reason").first().textContent()) ?? "";
      expect(reason).toMatch(/[\u4e00-\u9fff]{4}/);
      expect(reason).not.toMatch(/Chose|Profile|tokens\/s|No catalogue model/);
      const chosen = parts.find((p) => p.key === "model.reason.chose")?.params.model;
      expect(reason).toContain(chosen ?? "目录中没有能在此设备上运行的模型");
      await shot(page, "zh-05-model");
      await page.getByLabel("下载模型").fill(models.url("stories-zh-Q8_0.gguf"));
      await page
        .locator("form")
        .filter({ has: page.getByLabel("下载模型") })
        .getByRole("button")
        .click();

      await poll(() => heading(page).textContent()).toBe("下载");
      await page.getByRole("button", { name: "开始下载" }).click();
      await expect.poll(() => page.getByText("下载完成").count(), { timeout: 30_000 }).toBe(1);
      // the wizard's model is now the configured one (the owner's config file keeps its other keys)
      const config = readFileSync(join(run.dataDir, "config.yaml"), "utf8");
      expect(config).toMatch(/^model: .*stories-zh-Q8_0\.gguf$/m);
      expect(config).toContain("actions: device");
      await shot(page, "zh-06-download");
      await page.getByRole("button", { name: "下一步" }).click();
      await poll(() => heading(page).textContent()).toBe("消息应用");
      await poll(() => page.getByLabel("API 令牌").inputValue()).toMatch(/^cbx_/);
      await shot(page, "zh-07-messaging");
      await page.getByRole("button", { name: "下一步" }).click();
      await poll(() => heading(page).textContent()).toBe("远程管理");
      await shot(page, "zh-08-remote");
      await page.getByRole("button", { name: "稍后设置" }).click();
      await poll(() => heading(page).textContent()).toBe("完成");
      await shot(page, "zh-09-finish");
      await page.getByRole("button", { name: "完成并打开管理面板" }).click();
      await poll(() => heading(page).textContent()).toBe("状态");
      await shot(page, "zh-10-dashboard");

      await page.getByRole("link", { name: "对话测试" }).click();
      await page.getByLabel("消息").fill("Once upon a time");
      await page.getByRole("button", { name: "发送" }).click();
      await expect
        .poll(() => page.locator(".msg.assistant p").textContent(), { timeout: 30_000 })
        .toMatch(/\S{2,}/);
      await shot(page, "zh-11-playground");
      const status = (await fetch(`${agent.url}/api/setup`).then((r) => r.json())) as { state: string };
      expect(status.state).toBe("configured");
      // the device was changed through the tools, with argument arrays
      const calls = run.deviceCalls();
      expect(calls).toContainEqual(["hostnamectl", "set-hostname", "--", "chufang-box"]);
      expect(calls).toContainEqual(["timedatectl", "set-timezone", "--", "Asia/Shanghai"]);
      expect(calls).toContainEqual([
        "nmcli",
        "device",
        "wifi",
        "connect",
        "Home:5G",
        "password",
        "correct horse battery",
      ]);
    } finally {
      await endRun(run);
    }
  });
});
