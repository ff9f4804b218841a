import type { FastifyPluginAsync } from "fastify";
import { ErrorCode } from "../../error-codes.js";
import type { LoadedModelInfo } from "../../inference/types.js";
import { openAiError } from "../openai-error.js";
import type { ServerDeps } from "../types.js";

/**
 * `GET /v1/models` in the OpenAI list shape: the loaded model (one process, one model), or an empty list.
 * `GET /v1/models/{id}`: that model, or 404 in the OpenAI error shape (code "model_not_found") for any other
 * id. `created` is the load time in Unix seconds.
 */
export const modelsRoutes: FastifyPluginAsync<{ deps: Pick<ServerDeps, "inference"> }> = async (
  app,
  { deps },
) => {
  app.get("/v1/models", async () => {
    const model = deps.inference.model;
    return { object: "list", data: model ? [modelObject(model)] : [] };
  });
  app.get<{ Params: { id: string } }>("/v1/models/:id", async (request, reply) => {
    const model = deps.inference.model;
    if (model && model.id === request.params.id) return modelObject(model);
    const serving = model ? `this agent serves "${model.id}"` : "no model is loaded";
    return reply.code(404).send(
      openAiError(404, `model "${request.params.id}" does not exist (${serving})`, {
        param: "model",
        code: ErrorCode.MODEL_NOT_FOUND,
      }),
    );
  });
};

function modelObject(model: LoadedModelInfo) {
  return {
    id: model.id,
    object: "model",
    created: Math.floor(Date.parse(model.loadedAt) / 1000),
    owned_by: "clawbox",
  };
}
