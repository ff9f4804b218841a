import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync } from "fastify";

/**
 * Content-Security-Policy of the web app: scripts, styles and fetches only from this origin, no framing
 * (clickjacking), no plugins. Vite builds external module scripts and CSS files, so no 'unsafe-inline'.
 */
export const WEB_APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/**
 * Serves the built web app (`webui/dist`) with @fastify/static: `/` → index.html (no-cache, so a new
 * release is picked up), `/assets/*` (content-hashed names, cached for a year, immutable). The app routes
 * with the URL hash, so no server-side fallback is needed. A missing folder is logged once and skipped
 * (the API keeps working; `npm run build` builds the web app).
 */
export const webAppRoutes: FastifyPluginAsync<{ root: string }> = async (app, { root }) => {
  if (!existsSync(join(root, "index.html"))) {
    app.log.warn({ root }, "web app not built: the dashboard is unavailable (run npm run build)");
    return;
  }
  app.addHook("onSend", async (request, reply) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    if (!request.url.startsWith("/api/") && !request.url.startsWith("/v1/")) {
      reply.header("content-security-policy", WEB_APP_CSP);
      reply.header(
        "cache-control",
        request.url.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
      );
    }
  });
  await app.register(fastifyStatic, {
    root,
    prefix: "/",
    index: "index.html",
    cacheControl: false,
    wildcard: true,
  });
};
