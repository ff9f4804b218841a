import type { FastifyPluginAsync } from "fastify";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { VERSION } from "../../version.js";
import type { ServerDeps } from "../types.js";

const MODEL_BODY_SCHEMA = {
  type: "object",
  required: ["model"],
  additionalProperties: false,
  properties: { model: { type: "string", minLength: 1, description: "Catalogue id or GGUF file path" } },
} as const;

/**
 * Admin API (bearer auth):
 * - `POST /admin/model {"model": id|path}` hot-switches the model (in-flight requests finish on the old
 *   one) and answers once the new one is loaded: 200 `{"model": LoadedModelInfo}`; an unknown id or a bad
 *   file → 4xx with the reason, the old model keeps serving.
 * - `GET /admin/status`: version, model, server uptime (s), inference stats, conversation count, plus whatever
 *   `deps.statusInfo()` adds (profile, runtime settings).
 */
export const adminRoutes: FastifyPluginAsync<{
  deps: Pick<ServerDeps, "inference" | "resolveModel" | "statusInfo" | "store">;
}> = async (app, { deps }) => {
  const startedAt = Date.now();
  app.post<{ Body: { model: string } }>(
    "/admin/model",
    { schema: { body: MODEL_BODY_SCHEMA } },
    async (request) => {
      if (!deps.resolveModel) {
        throw new UserError("this server cannot switch models", {
          status: 501,
          code: ErrorCode.NOT_SUPPORTED,
          fix: "restart the agent with --model",
        });
      }
      const spec = await deps.resolveModel(request.body.model);
      request.log.info({ model: spec.id, path: spec.path }, "switching model");
      const model = await deps.inference.load(spec);
      request.log.info({ model: model.id }, "model loaded");
      return { model };
    },
  );

  app.get("/admin/status", async () => ({
    version: VERSION,
    model: deps.inference.model,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    stats: deps.inference.stats(),
    conversations: deps.store.countConversations(),
    ...(deps.statusInfo?.() ?? {}),
  }));
};
