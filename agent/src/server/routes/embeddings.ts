import type { FastifyPluginAsync } from "fastify";
import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { ParamError } from "../param-error.js";
import type { ServerDeps } from "../types.js";
import { noModelError } from "./chat-completions.js";

/**
 * Inputs per request at most. OpenAI's limit is 2,048; a Pi-class CPU embeds a few hundred short texts per
 * second at best, so 2,048 long inputs would hold the single inference queue for minutes.
 */
const MAX_INPUTS = 256;

interface EmbeddingsBody {
  model?: string;
  input: string | string[];
  encoding_format?: "float" | "base64" | null;
  dimensions?: number | null;
  user?: string;
}

const EMBEDDINGS_SCHEMA = {
  type: "object",
  required: ["input"],
  properties: {
    model: { type: "string" },
    input: {
      anyOf: [
        { type: "string", minLength: 1 },
        { type: "array", items: { type: "string", minLength: 1 }, minItems: 1, maxItems: MAX_INPUTS },
      ],
    },
    encoding_format: { type: ["string", "null"], enum: ["float", "base64", null] },
    dimensions: { type: ["integer", "null"], minimum: 1 },
    user: { type: "string", maxLength: 256 },
  },
} as const;

/**
 * `POST /v1/embeddings`: embeddings by the loaded chat model (InferenceService.embed), one per input in
 * order, as float arrays or, with `encoding_format: "base64"`, as the base64 of little-endian float32
 * bytes (what the openai client decodes). `dimensions` other than the model's embedding length is refused
 * (no truncation is done). Token arrays as input are refused by the schema (strings only).
 */
export const embeddingsRoutes: FastifyPluginAsync<{
  deps: Pick<ServerDeps, "config" | "inference">;
}> = async (app, { deps }) => {
  app.post<{ Body: EmbeddingsBody }>(
    "/v1/embeddings",
    { schema: { body: EMBEDDINGS_SCHEMA } },
    async (request, reply) => {
      const body = request.body;
      const loaded = deps.inference.model;
      if (!loaded) throw noModelError();
      if (!deps.inference.embed) {
        throw new UserError("this backend does not compute embeddings", {
          status: 501,
          code: ErrorCode.NOT_IMPLEMENTED,
        });
      }
      const inputs = typeof body.input === "string" ? [body.input] : body.input;
      const abort = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) abort.abort();
      };
      reply.raw.on("close", onClose);
      try {
        const { vectors, promptTokens } = await deps.inference.embed({
          inputs,
          signal: abort.signal,
          timeoutMs: deps.config.inference.requestTimeoutMs,
        });
        const length = vectors[0]?.length ?? 0;
        if (body.dimensions != null && body.dimensions !== length) {
          throw new ParamError(
            "dimensions",
            `dimensions=${body.dimensions}: model "${loaded.id}" gives ${length}-dimensional embeddings`,
            `omit dimensions or send ${length}`,
          );
        }
        const base64 = body.encoding_format === "base64";
        return {
          object: "list",
          data: vectors.map((v, index) => ({
            object: "embedding",
            index,
            embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString("base64") : v,
          })),
          model: loaded.id,
          usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
        };
      } finally {
        reply.raw.off("close", onClose);
      }
    },
  );
};
