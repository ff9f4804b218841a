import type { FastifyPluginAsync } from "fastify";
import type { ServerMetrics } from "../metrics.js";

/**
 * `GET /metrics`: Prometheus text format from this server's registry. Registered inside the
 * bearer-auth scope: the numbers reveal when and how much the owner uses a personal assistant, and
 * Prometheus sends a bearer token natively (scrape_config `authorization: {credentials_file: …}`).
 */
export const metricsRoutes: FastifyPluginAsync<{ metrics: ServerMetrics }> = async (app, { metrics }) => {
  app.get("/metrics", { logLevel: "warn" }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
};
