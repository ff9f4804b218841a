import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { DEVICE_KEY_CREDENTIAL, loadDeviceKey } from "../../agent/src/secrets/device-key.js";
import { readSetupCode } from "../../agent/src/setup/setup-code.js";
import { freePort } from "../fleet/sshd.js";
import { until } from "../support/until.js";
import {
  type CliRuntime,
  DEV_RUNTIME,
  requireBuiltCli,
  runCli,
  type StartedAgent,
  startCli,
} from "./cli-process.js";

/**
 * Secrets at rest, on the real agent process: a config file with a plain bridge token, the wizard's admin,
 * a dashboard login, an API token rotation and a second bridge saved from the dashboard. Afterwards no
 * secret value is readable in plain text in any file of the data dir (the config file lives there too);
 * after a restart the agent still opens them: both bridges accept their tokens, the API token works.
 * Twice: with the data dir's key file (a development machine), and with the systemd credential the agent unit
 * loads on a device (`$CREDENTIALS_DIRECTORY`, as systemd passes it), where the data dir then holds neither
 * the credential nor the data key in clear.
 */

const PASSWORD = "silver-lantern-rises-81";
const HOME_TOKEN = "home-bridge-token-PLAIN-0123456789";
const SHOP_TOKEN = "shop-bridge-token-PLAIN-9876543210";

/** True when a WebSocket bridge on `port` accepts `token` (false on 401 / refused). */
function accepts(port: number, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { authorization: `Bearer ${token}` } });
    ws.once("open", () => {
      ws.close();
      resolve(true);
    });
    ws.once("error", () => resolve(false));
  });
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.each([
  ["the data dir's key file", false],
  ["the systemd credential", true],
])("secrets at rest (real agent process) with %s", (_name, withCredential) => {
  it("leaves no secret readable in plain text anywhere in the data dir, and still uses them after a restart", {
    timeout: 120_000,
  }, async () => {
    requireBuiltCli();
    const dataDir = mkdtempSync(join(tmpdir(), "clawbox-secrets-"));
    dirs.push(dataDir);
    const credentials = mkdtempSync(join(tmpdir(), "clawbox-credentials-"));
    dirs.push(credentials);
    const credential = Buffer.from("credential-bytes-0123456789abcde");
    writeFileSync(join(credentials, DEVICE_KEY_CREDENTIAL), credential, { mode: 0o400 });
    const runtime: CliRuntime = withCredential
      ? { ...DEV_RUNTIME, env: { CREDENTIALS_DIRECTORY: credentials } }
      : { ...DEV_RUNTIME, env: { CREDENTIALS_DIRECTORY: "" } };
    const homePort = await freePort();
    const shopPort = await freePort();
    const configFile = join(dataDir, "config.yaml");
    writeFileSync(
      configFile,
      `# my bridges\nbridges:\n  home:\n    type: websocket\n    token: ${HOME_TOKEN}\n    listenHost: 127.0.0.1\n    listenPort: ${homePort}\n`,
    );
    const start = () =>
      startCli(
        ["--config", configFile, "--port", "0", "--data-dir", dataDir, "--threads", "1"],
        60_000,
        runtime,
      );
    const secrets: Record<string, string> = { HOME_TOKEN, SHOP_TOKEN, PASSWORD };
    let agent: StartedAgent | undefined;
    try {
      agent = await start();
      const url = agent.url;
      secrets.firstApiToken = (await runCli(["token", "--data-dir", dataDir], { runtime })).stdout.trim();
      const code = readSetupCode(dataDir) as string;
      secrets.setupCode = code;
      const setup = async (path: string, body: object) => {
        const res = await fetch(`${url}/api/setup/${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-setup-code": code },
          body: JSON.stringify(body),
        });
        expect(res.status, path).toBeLessThan(300);
      };
      await setup("welcome", { language: "en" });
      await setup("admin", { username: "owner", password: PASSWORD });
      await setup("device", { name: "safe-box", timezone: "UTC" });
      for (const step of ["network", "model", "download", "messaging", "remote"])
        await setup("skip", { step });
      await setup("finish", {});

      const login = await fetch(`${url}/api/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "owner", password: PASSWORD }),
      });
      const cookie = String(login.headers.get("set-cookie")).split(";")[0] as string;
      secrets.sessionId = cookie.split("=")[1] as string;
      secrets.csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
      const dash = (method: string, path: string, body?: object) =>
        fetch(`${url}${path}`, {
          method,
          headers: { cookie, "x-csrf-token": secrets.csrf as string, "content-type": "application/json" },
          body: body ? JSON.stringify(body) : undefined,
        });
      const rotated = await dash("POST", "/api/dashboard/token/rotate", {});
      secrets.apiToken = ((await rotated.json()) as { token: string }).token;
      const put = await dash("PUT", "/api/dashboard/bridges/shop", {
        config: { type: "websocket", token: SHOP_TOKEN, listenHost: "127.0.0.1", listenPort: shopPort },
      });
      expect(put.status).toBe(200);
      await until(() => accepts(homePort, HOME_TOKEN), "the home bridge");
      await until(() => accepts(shopPort, SHOP_TOKEN), "the shop bridge");
      await agent.stop();

      // grep every file of the data dir (database, WAL, config, token, key…) for every secret value
      const files = filesUnder(dataDir);
      const names = files.map((f) => f.slice(dataDir.length + 1));
      expect(names).toEqual(expect.arrayContaining(["api-token", "config.yaml", "clawbox.db"]));
      const keyFile = withCredential ? "data-key" : "device-key";
      expect(names).toContain(keyFile);
      expect(names).not.toContain(withCredential ? "device-key" : "data-key");
      if (withCredential) {
        // neither the credential nor the data key it wraps, in raw bytes or base64
        const dataKey = loadDeviceKey(dataDir, { CREDENTIALS_DIRECTORY: credentials }).key;
        secrets.credential = credential.toString("latin1");
        secrets.dataKeyBase64 = dataKey.toString("base64");
        secrets.dataKey = dataKey.toString("latin1");
      }
      const found: string[] = [];
      for (const file of files) {
        const bytes = readFileSync(file);
        for (const [name, value] of Object.entries(secrets)) {
          const raw = name === "dataKey" || name === "credential" ? "latin1" : "utf8";
          if (value && bytes.includes(Buffer.from(value, raw))) found.push(`${name} in ${file}`);
        }
      }
      expect(found).toEqual([]);
      expect(readFileSync(configFile, "utf8")).toMatch(/^# my bridges\n/);
      expect(statSync(join(dataDir, keyFile)).mode & 0o777).toBe(0o600);

      // a restart opens them again
      agent = await start();
      // the bridges start listening shortly after the HTTP server: wait for them, then check the tokens
      await until(() => accepts(homePort, HOME_TOKEN), "the home bridge after the restart");
      await until(() => accepts(shopPort, SHOP_TOKEN), "the shop bridge after the restart");
      expect(await accepts(homePort, "wrong-token-0123456789")).toBe(false);
      expect((await runCli(["token", "--data-dir", dataDir], { runtime })).stdout.trim()).toBe(
        secrets.apiToken,
      );
      const status = await fetch(`${agent.url}/admin/status`, {
        headers: { authorization: `Bearer ${secrets.apiToken}` },
      });
      expect(status.status).toBe(200);
      await agent.stop();
      agent = undefined;
    } finally {
      await agent?.stop();
    }
  });
});
