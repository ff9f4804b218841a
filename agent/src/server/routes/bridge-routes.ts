import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync } from "fastify";
import type { BridgeConfigStore } from "../../bridges/bridge-config-store.js";
import { bridgeTypeInfos, restoreSecrets, validateBridgeEntry } from "../../bridges/bridge-entry.js";
import type { BridgeManager } from "../../bridges/bridge-manager.js";
import type { BridgeConfig } from "../../bridges/config-schema.js";
import { type ConnectionTestResult, testBridgeConnection } from "../../bridges/test-connection.js";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import type { PairingStore } from "../../pairing/pairing-store.js";
import type { SetupServices } from "../../setup/setup-services.js";
import { sessionGuard } from "./session-guard.js";
import { setupGuard } from "./setup-guard.js";

export interface BridgeRoutesOptions {
  setup: SetupServices;
  /** Running bridges (absent when the agent runs none). */
  manager?: BridgeManager;
  /** Saves and applies changes of the `bridges:` map; absent → PUT/DELETE answer 501 `no_bridge_store`. */
  configStore?: BridgeConfigStore;
  pairing: PairingStore;
}

const badRequest = (message: string) =>
  new UserError(message, { code: ErrorCode.INVALID_REQUEST, fix: "send {id, config}" });

/**
 * Dashboard API for bridges and pairing, behind the admin session (cookie + CSRF on POST/PUT/DELETE):
 * - `GET /api/dashboard/bridge-types` → `{types: BridgeTypeInfo[]}` (from the registry: schema, secrets, id hint)
 * - `GET /api/dashboard/bridges` → `{bridges: BridgeOverview[]}` (state, last error + fix; secrets "********")
 * - `PUT /api/dashboard/bridges/:id` `{config}` → `{change, bridge}`: validated, saved to the config file,
 *   only that bridge (re)started; secrets sent as "********" keep their stored value
 * - `DELETE /api/dashboard/bridges/:id` → `{change}`: removed from the file, only that bridge stopped
 * - `POST /api/dashboard/bridges/test` `{id, config}` → ConnectionTestResult (connects once, then disconnects)
 * - `GET /api/dashboard/pairing` → `{pending: PairingRequest[], approved: ApprovedSender[]}`
 * - `POST /api/dashboard/pairing/:bridgeId/:code/approve` | `/deny` → `{request}`; 404 `pairing_unknown`
 * - `DELETE /api/dashboard/pairing/:bridgeId/approved/:senderId` → `{revoked: boolean}`
 * The wizard's messaging step gets the bridge routes (not pairing) under `/api/setup/` behind the setup
 * code (setupGuard: 401/403/429, 410 after finish): `GET bridge-types`, `GET bridges`, `POST bridges/test`,
 * `PUT bridges/:id`, `DELETE bridges/:id`. No answer contains a secret.
 */
export async function bridgeRoutes(app: FastifyInstance, o: BridgeRoutesOptions): Promise<void> {
  app.register(async (dash) => {
    dash.addHook("onRequest", sessionGuard(o.setup));
    dash.register(bridgeEditRoutes, { prefix: "/api/dashboard", ...o });
    dash.get("/api/dashboard/pairing", async () => ({
      pending: o.pairing.list(),
      approved: o.pairing.approved(),
    }));
    dash.post<{ Params: { bridgeId: string; code: string; action: string } }>(
      "/api/dashboard/pairing/:bridgeId/:code/:action",
      async (request, reply) => {
        const { bridgeId, code, action } = request.params;
        if (action === "approve") return { request: o.pairing.approve(bridgeId, code) };
        if (action === "deny") return { request: o.pairing.deny(bridgeId, code) };
        return reply
          .code(404)
          .send({ error: { message: `unknown action ${action}`, code: ErrorCode.NOT_FOUND } });
      },
    );
    dash.delete<{ Params: { bridgeId: string; senderId: string } }>(
      "/api/dashboard/pairing/:bridgeId/approved/:senderId",
      async (request) => ({ revoked: o.pairing.revoke(request.params.bridgeId, request.params.senderId) }),
    );
  });
  app.register(async (setup) => {
    setup.addHook("onRequest", setupGuard(o.setup));
    setup.register(bridgeEditRoutes, { prefix: "/api/setup", ...o });
  });
}

/** The bridge list/types/test/save/remove routes, mounted under a prefix by `bridgeRoutes` (guard set there). */
const bridgeEditRoutes: FastifyPluginAsync<BridgeRoutesOptions> = async (app, o) => {
  const store = () => {
    if (!o.configStore) {
      throw new UserError("this agent was started without bridge support", {
        code: ErrorCode.NO_BRIDGE_STORE,
        status: 501,
        fix: "restart the agent with `clawbox start` (it manages bridges)",
      });
    }
    return o.configStore;
  };
  const overviewOf = (id: string) => o.manager?.overview().find((b) => b.id === id) ?? null;

  app.get("/bridge-types", async () => ({ types: bridgeTypeInfos() }));
  app.get("/bridges", async () => ({ bridges: o.manager?.overview() ?? [] }));
  app.post<{ Body: { id?: unknown; config?: unknown } }>("/bridges/test", async (request) => {
    const { id, config } = request.body ?? {};
    if (typeof id !== "string" || !config || typeof config !== "object" || Array.isArray(config)) {
      throw badRequest("the body must be {id, config}");
    }
    return testWithStoredSecrets(id, config as BridgeConfig, o, request.log);
  });
  app.put<{ Params: { id: string }; Body: { config?: unknown } }>("/bridges/:id", async (request) => {
    const config = request.body?.config;
    if (config === undefined) throw badRequest("the body must be {config}");
    const change = await store().put(request.params.id, config);
    return { change, bridge: overviewOf(change.id) };
  });
  app.delete<{ Params: { id: string } }>("/bridges/:id", async (request) => ({
    change: await store().remove(request.params.id),
  }));
};

/** JSON with object keys sorted, to compare two entries whatever order their keys came in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * testBridgeConnection with "********" secrets replaced by the stored ones; a missing one is a failed
 * test. When the entry is exactly the running bridge's, the running connection answers instead (a
 * second connection would fight it for its port or session): ok when it is connected, else its last
 * error and fix; `running: true` says so.
 */
async function testWithStoredSecrets(
  id: string,
  config: BridgeConfig,
  o: BridgeRoutesOptions,
  log: FastifyBaseLogger,
): Promise<ConnectionTestResult & { running?: true }> {
  const stored = o.configStore?.get(id);
  let full: BridgeConfig;
  try {
    full = restoreSecrets(id, config, stored);
  } catch (err) {
    const e = err as UserError;
    return { ok: false, reason: e.message, fix: e.fix, ms: 0 };
  }
  const running = o.manager?.overview().find((b) => b.id === id);
  if (stored && running?.enabled && sameAsStored(id, full, stored)) {
    return running.state === "connected"
      ? { ok: true, running: true, ms: 0 }
      : { ok: false, running: true, reason: running.lastError ?? running.state, fix: running.fix, ms: 0 };
  }
  return testBridgeConnection(id, full, log);
}

function sameAsStored(id: string, entry: BridgeConfig, stored: BridgeConfig): boolean {
  try {
    return canonical(validateBridgeEntry(id, entry)) === canonical(stored);
  } catch {
    return false;
  }
}
