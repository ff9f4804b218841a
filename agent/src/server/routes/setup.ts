import type { FastifyPluginAsync } from "fastify";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { SESSION_TTL_MS } from "../../setup/sessions.js";
import { LANGUAGES, type Language } from "../../setup/setup-flow.js";
import type { SetupServices } from "../../setup/setup-services.js";
import { OPTIONAL_STEPS, type SetupStep } from "../../setup/steps.js";
import { timeZones } from "../../setup/validate.js";
import { sessionCookie } from "../http-cookie.js";
import { streamDownloads } from "./download-events.js";
import { setupGuard } from "./setup-guard.js";

export interface SetupRouteOptions {
  setup: SetupServices;
  /** The current API token (shown in the messaging step). */
  token: () => string;
}

const obj = (properties: Record<string, unknown>, required: string[]) =>
  ({ type: "object", additionalProperties: false, required, properties }) as const;
const str = (maxLength: number) => ({ type: "string", minLength: 1, maxLength });

/**
 * The setup API (the wizard's exact surface, which the web app and `clawbox setup` rely on):
 * - `GET /api/setup` → SetupStatus `{"state": "unconfigured"|"configured", current, steps, …}` plus
 *   `seedError` (the rejected boot-partition seed's error line, or null) (no auth);
 * - every other route needs `X-Setup-Code` (see setupGuard: 403 / 410 / 429 / 401);
 * - `POST /api/setup/welcome {language}`, `/admin {username, password}`, `/device {name, timezone}`,
 *   `/network {ssid, passphrase|null}`, `/model {model}`, `/download {model}`, `/download/cancel {}`,
 *   `/ssh-key {key}`, `/skip {step}`, `/complete {step}`, `/finish {}` (→ SetupStatus + session cookie for
 *   the admin, so the browser lands in the dashboard);
 * - `GET /api/setup/details`, `/timezones`, `/network`, `/hardware`, `/api-token`, `/download/events` (SSE).
 */
export const setupRoutes: FastifyPluginAsync<SetupRouteOptions> = async (app, { setup: s, token }) => {
  app.get("/api/setup", async () => ({ ...s.flow.status(), seedError: s.seedError() }));

  app.register(async (guarded) => {
    guarded.addHook("onRequest", setupGuard(s));

    guarded.get("/api/setup/details", async () => s.flow.details());
    guarded.get("/api/setup/timezones", async () => ({ timezones: timeZones() }));

    guarded.post<{ Body: { language: Language } }>(
      "/api/setup/welcome",
      { schema: { body: obj({ language: { type: "string", enum: [...LANGUAGES] } }, ["language"]) } },
      async (request) => {
        s.flow.welcome(request.body.language);
        return s.flow.status();
      },
    );

    guarded.post<{ Body: { username: string; password: string } }>(
      "/api/setup/admin",
      {
        schema: {
          body: obj({ username: str(64), password: { type: "string", maxLength: 1024 } }, [
            "username",
            "password",
          ]),
        },
      },
      async (request) => {
        await s.flow.setAdmin(request.body.username, request.body.password);
        return { ...s.flow.status(), admin: request.body.username };
      },
    );

    guarded.post<{ Body: { name: string; timezone: string } }>(
      "/api/setup/device",
      { schema: { body: obj({ name: str(255), timezone: str(64) }, ["name", "timezone"]) } },
      async (request) => {
        const device = await s.flow.setDevice(request.body.name, request.body.timezone);
        return { ...s.flow.status(), device };
      },
    );

    guarded.get("/api/setup/network", async () => {
      const support = await s.system.networkSupport();
      return { ...support, networks: support.wifi ? await s.system.wifiScan() : [] };
    });

    guarded.post<{ Body: { ssid: string; passphrase: string | null } }>(
      "/api/setup/network",
      {
        schema: {
          body: obj({ ssid: str(32), passphrase: { type: ["string", "null"], maxLength: 63 } }, [
            "ssid",
            "passphrase",
          ]),
        },
      },
      async (request) => {
        const { ssid, passphrase } = request.body;
        if (Buffer.byteLength(ssid) > 32)
          throw new UserError("a Wi-Fi name is at most 32 bytes", { fix: "pick the network from the list" });
        if (passphrase !== null && !/^[\x20-\x7e]{8,63}$/.test(passphrase)) {
          throw new UserError("a Wi-Fi password has 8 to 63 characters", {
            code: ErrorCode.INVALID_WIFI_PASSPHRASE,
            fix: "type the password of the network again",
          });
        }
        await s.system.wifiJoin(ssid, passphrase);
        s.flow.complete("network");
        return s.flow.status();
      },
    );

    guarded.get("/api/setup/hardware", async () => {
      if (!s.hardware)
        throw new UserError("hardware information is not available", {
          status: 501,
          code: ErrorCode.NO_HARDWARE,
        });
      return s.hardware();
    });

    guarded.post<{ Body: { model: string } }>(
      "/api/setup/model",
      { schema: { body: obj({ model: str(512) }, ["model"]) } },
      async (request) => {
        await s.flow.chooseModel(request.body.model);
        return s.flow.status();
      },
    );

    guarded.post<{ Body: { model: string } }>(
      "/api/setup/download",
      { schema: { body: obj({ model: str(2048) }, ["model"]) } },
      async (request, reply) => {
        if (!s.downloads.start(request.body.model)) {
          throw new UserError("another model is downloading", {
            code: ErrorCode.DOWNLOAD_BUSY,
            status: 409,
            fix: "cancel it first or wait until it is done",
          });
        }
        return reply.code(202).send(s.downloads.state());
      },
    );

    guarded.post("/api/setup/download/cancel", async () => {
      await s.downloads.cancel();
      return s.downloads.state();
    });

    guarded.get("/api/setup/download", async () => s.downloads.state());
    guarded.get("/api/setup/download/events", (request, reply) =>
      streamDownloads(s.downloads, request, reply),
    );

    guarded.get("/api/setup/api-token", async () => ({ token: token() }));

    guarded.post<{ Body: { key: string } }>(
      "/api/setup/ssh-key",
      { schema: { body: obj({ key: str(16384) }, ["key"]) } },
      async (request) => ({ ...s.flow.status(), key: await s.flow.addSshKey(request.body.key) }),
    );

    const stepBody = {
      schema: { body: obj({ step: { type: "string", enum: [...OPTIONAL_STEPS] } }, ["step"]) },
    };
    guarded.post<{ Body: { step: SetupStep } }>("/api/setup/skip", stepBody, async (request) => {
      s.flow.skip(request.body.step);
      return s.flow.status();
    });
    guarded.post<{ Body: { step: SetupStep } }>("/api/setup/complete", stepBody, async (request) => {
      s.flow.complete(request.body.step);
      return s.flow.status();
    });

    guarded.post("/api/setup/finish", async (_request, reply) => {
      const status = s.flow.finish();
      const admin = s.admins.usernames()[0];
      if (admin) {
        const { id } = s.sessions.create(admin);
        reply.header(
          "set-cookie",
          sessionCookie(id, { secure: s.secureCookies, maxAgeSeconds: SESSION_TTL_MS / 1000 }),
        );
      }
      return status;
    });
  });
};
