import type { FastifyPluginAsync } from "fastify";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import type { SetupServices } from "../../setup/setup-services.js";
import type { DashboardServices, ServerDeps } from "../types.js";
import { streamDownloads } from "./download-events.js";
import { sessionGuard } from "./session-guard.js";

export interface DashboardRouteOptions {
  deps: Pick<ServerDeps, "inference" | "resolveModel" | "store">;
  setup: SetupServices;
  dashboard: DashboardServices;
  token: { get(): string; set(token: string): void };
}

const notAvailable = (what: string) =>
  new UserError(`${what} is not available on this server`, { status: 501, code: ErrorCode.NOT_SUPPORTED });

const body = (properties: Record<string, unknown>, required: string[]) => ({
  body: { type: "object", additionalProperties: false, required, properties },
});

/**
 * The dashboard API under `/api/dashboard/*`, behind the session cookie and, for mutations, the CSRF token
 * (sessionGuard): status + one hour of samples, API token (show, rotate), models (list, use, pull with
 * SSE progress, cancel, delete), logs (filter by level and text), device (name, time zone), network,
 * SSH keys, and a backup download (config + settings + conversations as JSON; no password hashes, no token).
 */
export const dashboardRoutes: FastifyPluginAsync<DashboardRouteOptions> = async (app, o) => {
  const { deps, setup: s, dashboard: d } = o;
  app.addHook("onRequest", sessionGuard(s));

  app.get("/api/dashboard/status", async () => ({
    model: deps.inference.model,
    stats: deps.inference.stats(),
    device: s.device.identity(),
    history: d.sampler?.history() ?? [],
  }));

  app.get("/api/dashboard/token", async () => ({ token: o.token.get() }));
  app.post("/api/dashboard/token/rotate", async (request) => {
    if (!d.rotateToken) throw notAvailable("token rotation");
    const token = d.rotateToken();
    o.token.set(token);
    request.log.info("API token rotated");
    return { token };
  });

  app.get("/api/dashboard/models", async () => ({
    loaded: deps.inference.model,
    stored: d.models ? await d.models.list() : [],
    download: s.downloads.state(),
  }));
  app.post<{ Body: { model: string } }>(
    "/api/dashboard/models/use",
    { schema: body({ model: { type: "string", minLength: 1, maxLength: 2048 } }, ["model"]) },
    async (request) => {
      if (!deps.resolveModel) throw notAvailable("model switching");
      const spec = await deps.resolveModel(request.body.model);
      // Through ModelChoice the switch is also written to the config file: it survives a restart.
      const model = s.modelChoice
        ? await s.modelChoice.apply(request.body.model, spec.path)
        : await deps.inference.load(spec);
      return { loaded: model };
    },
  );
  app.post<{ Body: { model: string } }>(
    "/api/dashboard/models/pull",
    { schema: body({ model: { type: "string", minLength: 1, maxLength: 2048 } }, ["model"]) },
    async (request, reply) => {
      if (!s.downloads.start(request.body.model))
        throw new UserError("another model is downloading", {
          status: 409,
          code: ErrorCode.DOWNLOAD_BUSY,
          fix: "wait or cancel it",
        });
      return reply.code(202).send(s.downloads.state());
    },
  );
  app.post("/api/dashboard/models/cancel", async () => {
    await s.downloads.cancel();
    return s.downloads.state();
  });
  app.get("/api/dashboard/models/events", (request, reply) => streamDownloads(s.downloads, request, reply));
  app.delete<{ Params: { name: string } }>("/api/dashboard/models/:name", async (request) => {
    if (!d.models) throw notAvailable("the model store");
    if (deps.inference.model?.path.endsWith(`/${request.params.name}`))
      throw new UserError("this model is in use", {
        status: 409,
        code: ErrorCode.MODEL_IN_USE,
        fix: "switch to another model first",
      });
    return { removed: await d.models.remove(request.params.name) };
  });

  app.get<{ Querystring: { level?: string; q?: string; limit?: string } }>(
    "/api/dashboard/logs",
    async (request) => {
      if (!d.logs) throw notAvailable("the log view");
      const limit = Math.min(1000, Math.max(1, Number(request.query.limit ?? 200) || 200));
      return { lines: d.logs.query({ minLevel: request.query.level, query: request.query.q, limit }) };
    },
  );

  app.get("/api/dashboard/device", async () => ({ device: s.device.identity(), system: s.system.kind }));
  app.post<{ Body: { name: string; timezone: string } }>(
    "/api/dashboard/device",
    {
      schema: body(
        { name: { type: "string", maxLength: 255 }, timezone: { type: "string", maxLength: 64 } },
        ["name", "timezone"],
      ),
    },
    async (request) => ({ device: await s.device.setIdentity(request.body.name, request.body.timezone) }),
  );

  app.get("/api/dashboard/network", async () => {
    const support = await s.system.networkSupport();
    return { ...support, networks: support.wifi ? await s.system.wifiScan() : [] };
  });
  app.post<{ Body: { ssid: string; passphrase: string | null } }>(
    "/api/dashboard/network",
    {
      schema: body(
        {
          ssid: { type: "string", minLength: 1, maxLength: 32 },
          passphrase: { type: ["string", "null"], maxLength: 63 },
        },
        ["ssid", "passphrase"],
      ),
    },
    async (request) => {
      const { ssid, passphrase } = request.body;
      if (passphrase !== null && !/^[\x20-\x7e]{8,63}$/.test(passphrase))
        throw new UserError("a Wi-Fi password has 8 to 63 characters", {
          code: ErrorCode.INVALID_WIFI_PASSPHRASE,
          fix: "type it again",
        });
      await s.system.wifiJoin(ssid, passphrase);
      return { joined: ssid };
    },
  );

  app.get("/api/dashboard/ssh-keys", async () => ({ keys: s.device.sshKeys() }));
  app.post<{ Body: { key: string } }>(
    "/api/dashboard/ssh-keys",
    { schema: body({ key: { type: "string", minLength: 1, maxLength: 16384 } }, ["key"]) },
    async (request) => ({ key: await s.device.addSshKey(request.body.key) }),
  );
  app.delete<{ Querystring: { fingerprint: string } }>("/api/dashboard/ssh-keys", async (request) => {
    if (!(await s.device.removeSshKey(request.query.fingerprint ?? "")))
      throw new UserError("no SSH key with this fingerprint", { status: 404, code: ErrorCode.NOT_FOUND });
    return { keys: s.device.sshKeys() };
  });

  app.get("/api/dashboard/backup", async (_request, reply) => {
    const conversations = deps.store.listConversations({ limit: 100_000 }).map((c) => ({
      ...c,
      messages: deps.store.getMessages(c.id, 100_000),
    }));
    const backup = {
      kind: "clawbox-backup",
      version: 1,
      createdAt: new Date().toISOString(),
      config: d.configText?.() ?? null,
      device: s.device.identity(),
      sshKeys: s.device.sshKeys().map((k) => k.line),
      setup: s.flow.status(),
      conversations,
    };
    const stamp = backup.createdAt.slice(0, 10);
    reply.header("content-disposition", `attachment; filename="clawbox-backup-${stamp}.json"`);
    reply.header("cache-control", "no-store");
    return backup;
  });
};
