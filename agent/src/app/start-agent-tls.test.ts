import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../config/load-config.js";
import { UserError } from "../errors.js";
import { detectHardware } from "../hardware/detect.js";
import { loadProfiles } from "../hardware/profiles.js";
import type { InferenceService } from "../inference/types.js";
import { readAgentUrl } from "../server/agent-url.js";
import { RecordingSystemActions } from "../system/recording-system-actions.js";
import { startAgent } from "./start-agent.js";

const dir = mkdtempSync(join(tmpdir(), "clawbox-https-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cert = join(dir, "cert.pem");
const key = join(dir, "key.pem");
execFileSync(
  "openssl",
  [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "1",
    "-subj",
    "/CN=clawbox-test",
  ],
  { stdio: "ignore" },
);

const noEngine: InferenceService = {
  model: null,
  load: async () => {
    throw new UserError("no", { status: 400 });
  },
  complete: async () => {
    throw new Error("no model");
  },
  countTokens: () => 0,
  stats: () => ({ queueDepth: 0, activeRequests: 0, tokensGenerated: 0, lastTokensPerSecond: 0 }),
  close: async () => {},
};

/** GET over HTTPS trusting exactly this certificate; resolves with status, headers and body. */
function getHttps(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = httpsRequest(
        url,
        { ca: readFileSync(cert), servername: "clawbox-test", checkServerIdentity: () => undefined, headers },
        (res) => {
          let body = "";
          res.on("data", (d) => {
            body += d;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on("error", reject);
      req.end();
    },
  );
}

describe("startAgent with TLS", () => {
  it("serves HTTPS with Secure cookies, keeps loopback HTTP for the CLI and redirects other HTTP clients", async () => {
    const config = defaultConfig();
    config.dataDir = dir;
    config.server.port = 0;
    config.server.tls = { cert, key, port: 0, publicPort: 443 };
    const agent = await startAgent({
      config,
      logger: pino({ level: "silent" }),
      detect: () => detectHardware({ modelsDir: join(dir, "models") }),
      profiles: loadProfiles(),
      createInference: () => noEngine,
      resolveStoreId: (id) => id,
      system: new RecordingSystemActions(dir),
    });
    try {
      expect(agent.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(agent.tlsFingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      expect(agent.setupCode).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
      const status = await getHttps(`${agent.url}/api/setup`);
      expect(status.status).toBe(200);
      expect(JSON.parse(status.body).state).toBe("unconfigured");

      // the CLI's URL file points at loopback HTTP, which answers normally
      const cliUrl = readAgentUrl(dir) as string;
      expect(cliUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${cliUrl}/api/setup`)).status).toBe(200);

      const code = agent.setupCode as string;
      const post = (path: string, body: unknown) =>
        new Promise<{ status: number; cookie: string }>((resolve, reject) => {
          const data = JSON.stringify(body);
          const req = httpsRequest(
            `${agent.url}${path}`,
            {
              method: "POST",
              ca: readFileSync(cert),
              checkServerIdentity: () => undefined,
              headers: { "content-type": "application/json", "x-setup-code": code },
            },
            (res) => {
              res.resume();
              res.on("end", () =>
                resolve({ status: res.statusCode ?? 0, cookie: String(res.headers["set-cookie"] ?? "") }),
              );
            },
          );
          req.on("error", reject);
          req.end(data);
        });
      expect(
        (await post("/api/setup/admin", { username: "owner", password: "purple-tractor-sings" })).status,
      ).toBe(200);
      expect((await post("/api/setup/device", { name: "box", timezone: "UTC" })).status).toBe(200);
      const finish = await post("/api/setup/finish", {});
      expect(finish.status).toBe(200);
      expect(finish.cookie).toMatch(/HttpOnly; SameSite=Strict; Max-Age=\d+; Secure/);
    } finally {
      await agent.close();
    }
  });
});
