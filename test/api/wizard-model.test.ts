import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readApiToken } from "../../agent/src/server/api-token.js";
import { readSetupCode } from "../../agent/src/setup/setup-code.js";
import { TEST_THREADS, testModelPath } from "../support/test-model.js";
import { requireBuiltCli, type StartedAgent, startCli } from "./cli-process.js";

/**
 * Wizard step 5 (model): the model chosen in the wizard is the model the agent runs — at once (hot switch), in
 * the config file, and again after a restart, even when the default pick at start would be another file.
 */

const dataDir = mkdtempSync(join(tmpdir(), "clawbox-wizard-model-"));
const configFile = join(dataDir, "config.yaml");
let agent: StartedAgent | undefined;
afterAll(async () => {
  await agent?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = () =>
  startCli([
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
  ]);

async function servedModels(url: string): Promise<string[]> {
  const res = await fetch(`${url}/v1/models`, {
    headers: { authorization: `Bearer ${readApiToken(dataDir)}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id);
}

describe("the wizard's model choice (real agent process, test model)", () => {
  it("choose → loaded now → config file says so → restart → loaded again; a dashboard switch sticks too", {
    timeout: 120_000,
  }, async () => {
    requireBuiltCli();
    writeFileSync(configFile, "# owner's note: keep me\nlog:\n  level: info\n");
    // two files in the store: without the wizard's choice the agent loads the newest one ("newest")
    const models = join(dataDir, "models");
    mkdirSync(models, { recursive: true });
    copyFileSync(await testModelPath(), join(models, "chosen.gguf"));
    copyFileSync(await testModelPath(), join(models, "newest.gguf"));
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(models, "chosen.gguf"), hourAgo, hourAgo);

    agent = await start();
    expect(await servedModels(agent.url)).toEqual(["newest"]);

    const chose = await fetch(`${agent.url}/api/setup/model`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-setup-code": readSetupCode(dataDir) ?? "" },
      body: JSON.stringify({ model: "chosen.gguf" }),
    });
    expect(chose.status).toBe(200);
    expect(await servedModels(agent.url)).toEqual(["chosen"]);

    const text = readFileSync(configFile, "utf8");
    expect(text).toMatch(/^model: .*\/models\/chosen\.gguf$/m);
    expect(text).toContain("# owner's note: keep me");
    // the command-line flags of this run are not written into the owner's file
    expect(text).not.toMatch(/port|dataDir|contextSize/);

    await agent.stop();
    agent = await start();
    expect(agent.line).toContain("model chosen");
    expect(await servedModels(agent.url)).toEqual(["chosen"]);

    // After setup, a switch in the dashboard sticks the same way.
    const { url } = agent;
    const code = readSetupCode(dataDir) ?? "";
    const post = (path: string, body: unknown, headers: Record<string, string>) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    const owner = { username: "owner", password: "purple-tractor-sings-42" };
    expect((await post("/api/setup/admin", owner, { "x-setup-code": code })).status).toBe(200);
    const device = { name: "box", timezone: "UTC" };
    expect((await post("/api/setup/device", device, { "x-setup-code": code })).status).toBe(200);
    expect((await post("/api/setup/finish", {}, { "x-setup-code": code })).status).toBe(200);
    const login = await post("/api/session", owner, {});
    expect(login.status).toBe(200);
    const session = {
      cookie: String(login.headers.get("set-cookie")).split(";")[0] as string,
      "x-csrf-token": ((await login.json()) as { csrfToken: string }).csrfToken,
    };
    const use = await post("/api/dashboard/models/use", { model: "newest.gguf" }, session);
    expect(use.status, await use.clone().text()).toBe(200);
    expect(await servedModels(url)).toEqual(["newest"]);
    expect(readFileSync(configFile, "utf8")).toMatch(/^model: .*\/models\/newest\.gguf$/m);
    await agent.stop();
    agent = await start();
    expect(await servedModels(agent.url)).toEqual(["newest"]);
  });
});
