import type { FastifyInstance } from "fastify";
import { sessionGuard } from "../server/routes/session-guard.js";
import type { SetupServices } from "../setup/setup-services.js";
import type { BridgeManager } from "./bridge-manager.js";
import type { BridgeConfig } from "./config-schema.js";
import type { PairingStore } from "./pairing-store.js";
import { testBridgeConnection } from "./test-connection.js";

export interface BridgeRoutesOptions {
  setup: SetupServices;
  /** Running bridges (absent when the agent runs none). */
  manager?: BridgeManager;
  pairing: PairingStore;
}

/**
 * Dashboard API for bridges and pairing, behind the admin session (cookie + CSRF on POST/DELETE):
 * - `GET /api/dashboard/bridges` → `{bridges: BridgeOverview[]}` (state, last error + fix; secrets "********")
 * - `GET /api/dashboard/pairing` → `{pending: PairingRequest[], approved: ApprovedSender[]}`
 * - `POST /api/dashboard/pairing/:bridgeId/:code/approve` | `/deny` → `{request}`; 404 E_PAIRING_UNKNOWN
 * - `DELETE /api/dashboard/pairing/:bridgeId/approved/:senderId` → `{revoked: boolean}`
 * - `POST /api/dashboard/bridges/test` `{id, config}` → ConnectionTestResult (connects once, then disconnects)
 */
export async function bridgeRoutes(app: FastifyInstance, o: BridgeRoutesOptions): Promise<void> {
  app.addHook("onRequest", sessionGuard(o.setup));
  app.get("/api/dashboard/bridges", async () => ({ bridges: o.manager?.overview() ?? [] }));
  app.post<{ Body: { id?: string; config?: BridgeConfig } }>(
    "/api/dashboard/bridges/test",
    async (request, reply) => {
      const { id, config } = request.body ?? {};
      if (typeof id !== "string" || !config || typeof config !== "object") {
        return reply.code(400).send({ error: { message: "send {id, config}", code: "E_BAD_REQUEST" } });
      }
      return testBridgeConnection(id, config, request.log);
    },
  );
  app.get("/api/dashboard/pairing", async () => ({
    pending: o.pairing.list(),
    approved: o.pairing.approved(),
  }));
  app.post<{ Params: { bridgeId: string; code: string; action: string } }>(
    "/api/dashboard/pairing/:bridgeId/:code/:action",
    async (request, reply) => {
      const { bridgeId, code, action } = request.params;
      if (action === "approve") return { request: o.pairing.approve(bridgeId, code) };
      if (action === "deny") return { request: o.pairing.deny(bridgeId, code) };
      return reply.code(404).send({ error: { message: `unknown action ${action}`, code: "E_NOT_FOUND" } });
    },
  );
  app.delete<{ Params: { bridgeId: string; senderId: string } }>(
    "/api/dashboard/pairing/:bridgeId/approved/:senderId",
    async (request) => ({ revoked: o.pairing.revoke(request.params.bridgeId, request.params.senderId) }),
  );
}
