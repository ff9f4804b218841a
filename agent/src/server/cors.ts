import type { FastifyInstance } from "fastify";

/**
 * Minimal CORS for the configured origins (`server.corsOrigins`): echoes an allowed `Origin` back with
 * `Vary: Origin`, answers preflights (OPTIONS) with 204 and the methods/headers the API uses. Origins not
 * in the list get no CORS headers, so browsers block them. No list → nothing is registered.
 */
export function registerCors(app: FastifyInstance, origins: readonly string[] | undefined): void {
  if (!origins || origins.length === 0) return;
  const allowed = new Set(origins);
  app.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    if (!origin || !allowed.has(origin)) return;
    reply.header("access-control-allow-origin", origin);
    reply.header("vary", "Origin");
    if (request.method === "OPTIONS") {
      reply.header("access-control-allow-methods", "GET, POST, OPTIONS");
      reply.header("access-control-allow-headers", "authorization, content-type, x-conversation-id");
      reply.header("access-control-max-age", "600");
      return reply.code(204).send();
    }
  });
  // Preflights need a route to reach the hook above; without an allowed Origin they get 204 and no headers.
  app.options("/*", async (_request, reply) => reply.code(204).send());
}
