import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSetupCode } from "../../agent/src/setup/setup-code.js";
import { requireBuiltCli, runCli, type StartedAgent, startCli } from "../api/cli-process.js";
import { freePort } from "../fleet/sshd.js";
import { TEST_THREADS } from "../support/test-model.js";
import { ensureWebAppBuilt, launchChromium, shot } from "./browser.js";

/**
 * "Restore from a backup" in chromium against real agents: device A is set up through the setup API and
 * backed up with the CLI; a fresh device B shows the wizard, whose first choice restores A's backup (a wrong
 * passphrase first, then the right one). B asks to restart (exit 75, what systemd's Restart=on-failure
 * turns into a restart); started again on the same port it applies the backup, and the waiting page lands
 * on the login, where A's admin logs in and finds the jobs and backups tab working.
 */

const PASS = "correct horse battery staple";
let root: string;
let browser: Browser;
const agents: StartedAgent[] = [];

const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 30_000, interval: 200 });

async function start(dataDir: string, port: number): Promise<StartedAgent> {
  const agent = await startCli([
    ...["--port", String(port), "--data-dir", dataDir],
    ...["--threads", String(TEST_THREADS), "--context-size", "256"],
  ]);
  agents.push(agent);
  return agent;
}

beforeAll(async () => {
  requireBuiltCli();
  ensureWebAppBuilt();
  root = mkdtempSync(join(tmpdir(), "clawbox-e2e-restore-"));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const a of agents) await a.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("the wizard's restore from a backup", () => {
  it("restores a device's backup on a fresh one, which comes back set up", { timeout: 240_000 }, async () => {
    // device A: set up through the API, then backed up
    const dataA = join(root, "a");
    const a = await start(dataA, 0);
    const headers = { "content-type": "application/json", "x-setup-code": readSetupCode(dataA) as string };
    for (const [step, body] of [
      ["admin", { username: "owner", password: "purple-tractor-sings" }],
      ["device", { name: "kitchen", timezone: "Europe/Berlin" }],
      ["finish", {}],
    ] as const) {
      const res = await fetch(`${a.url}/api/setup/${step}`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
      });
      expect(res.status, `${step}: ${await res.clone().text()}`).toBe(200);
    }
    const passFile = join(root, "pass");
    writeFileSync(passFile, PASS);
    const made = await runCli(["backup", "create", "--data-dir", dataA, "--passphrase-file", passFile], {
      timeoutMs: 60_000,
    });
    expect(made.code, made.stderr).toBe(0);
    const archive = made.stdout.split(" ")[0] as string;
    await a.stop();

    // device B: fresh, the wizard
    const dataB = join(root, "b");
    const port = await freePort();
    const b = await start(dataB, port);
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "en-US" });
    const page = await context.newPage();
    await page.goto(b.url);
    await poll(() => page.locator("main h1").textContent()).toBe("Welcome");
    const choices = page.getByRole("group", { name: "How do you want to start?" }).getByRole("radio");
    expect(await choices.first().getAttribute("name")).toBe("start");
    await expect.poll(() => page.getByLabel("Restore from a backup").isChecked()).toBe(false);
    await page.getByLabel("Setup code").fill(readSetupCode(dataB) as string);
    await page.getByLabel("Restore from a backup").check();
    await page.getByLabel("Backup file").setInputFiles(archive);
    await page.getByLabel("Backup passphrase").fill("not the passphrase");
    await page.getByRole("button", { name: "Restore" }).click();
    await poll(() => page.getByRole("alert").first().textContent()).toContain("passphrase does not match");
    await shot(page, "restore-01-wrong-passphrase");
    await page.getByLabel("Backup passphrase").fill(PASS);
    await page.getByRole("button", { name: "Restore" }).click();
    await poll(() => page.getByText("Backup restored.").count()).toBe(1);
    await shot(page, "restore-02-restarting");
    await expect.poll(() => b.child.exitCode, { timeout: 30_000, message: b.stderr() }).toBe(75); // asked for a restart: exit 75 (EX_TEMPFAIL)

    await start(dataB, port); // what systemd does
    await poll(() => page.locator("main h1").textContent()).toBe("Log in");
    await page.getByLabel("User name").fill("owner");
    await page.getByLabel("Password").fill("purple-tractor-sings");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("link", { name: "Jobs & backups" }).click();
    await poll(() => page.locator("tbody tr").count()).toBe(4);
    await expect.poll(() => page.locator("tbody").textContent()).toContain("Europe/Berlin");
    await page.getByLabel("Backup passphrase (at least 12 characters)").fill(PASS);
    await page.getByRole("button", { name: "Set passphrase" }).click();
    await poll(() => page.getByText("A passphrase is set").count()).toBe(1);
    await page.getByRole("button", { name: "Back up now" }).click();
    await poll(() => page.getByRole("link", { name: "Download" }).count()).toBe(1);
    await shot(page, "restore-03-jobs-and-backups");
    await context.close();
  });
});
