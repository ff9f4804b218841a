import type { FastifyPluginAsync } from "fastify";
import type { ChatMessage } from "../../inference/types.js";
import type { SetupServices } from "../../setup/setup-services.js";
import type { ServerDeps } from "../types.js";
import { sessionGuard, sessionOf } from "./session-guard.js";

/** Longest dashboard chat answer, tokens (the playground's own limit; a chat, not a document). */
const MAX_TOKENS = 200;

/**
 * `POST /api/dashboard/chat {messages, conversationId}` → `{text}`: the chat of accounts that do not hold
 * the API token (viewers; role-policy.ts lets them in), answered whole by the loaded model. The
 * conversation is keyed by the account, so two users never share a KV cache slot's history.
 */
export const dashboardChatRoutes: FastifyPluginAsync<{
  deps: Pick<ServerDeps, "inference">;
  setup: SetupServices;
}> = async (app, { deps, setup }) => {
  app.addHook("onRequest", sessionGuard(setup));
  app.post<{ Body: { messages: ChatMessage[]; conversationId: string } }>(
    "/api/dashboard/chat",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["messages", "conversationId"],
          properties: {
            conversationId: { type: "string", minLength: 1, maxLength: 100 },
            messages: {
              type: "array",
              minItems: 1,
              maxItems: 200,
              items: {
                type: "object",
                additionalProperties: false,
                required: ["role", "content"],
                properties: {
                  role: { type: "string", enum: ["user", "assistant"] },
                  content: { type: "string", maxLength: 32_768 },
                },
              },
            },
          },
        },
      },
    },
    async (request) => {
      const user = sessionOf(request)?.username ?? "anonymous";
      const result = await deps.inference.complete({
        conversationId: `dashboard:${user}:${request.body.conversationId}`,
        messages: request.body.messages,
        maxTokens: MAX_TOKENS,
      });
      return { text: result.text };
    },
  );
};
