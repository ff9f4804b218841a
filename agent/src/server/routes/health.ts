import type { FastifyPluginAsync } from "fastify";
import type { ServerDeps } from "../types.js";

/**
 * `GET /healthz` (no auth, for load balancers, systemd and the fleet canary check):
 * 200 `{"status": "ok", "model": id}` when a model is loaded, else 503 `{"status": "no-model"}`.
 * It reveals only the model id, nothing about conversations. Logged at warn only (pollers call it often).
 */
export const healthRoutes: FastifyPluginAsync<{ deps: Pick<ServerDeps, "inference"> }> = async (
  app,
  { deps },
) => {
  app.get("/healthz", { logLevel: "warn" }, async (_request, reply) => {
    const model = deps.inference.model;
    if (!model) return reply.code(503).send({ status: "no-model" });
    return { status: "ok", model: model.id };
  });
};
