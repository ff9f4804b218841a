import type { FastifyPluginAsync } from "fastify";
import type { ServerDeps } from "../build-server.js";

/**
 * `GET /v1/models` in the OpenAI list shape: the loaded model (one process, one model), or an empty list.
 * `created` is the load time in Unix seconds.
 */
export const modelsRoutes: FastifyPluginAsync<{ deps: ServerDeps }> = async (app, { deps }) => {
  app.get("/v1/models", async () => {
    const model = deps.inference.model;
    return {
      object: "list",
      data: model
        ? [
            {
              id: model.id,
              object: "model",
              created: Math.floor(Date.parse(model.loadedAt) / 1000),
              owned_by: "clawbox",
            },
          ]
        : [],
    };
  });
};
