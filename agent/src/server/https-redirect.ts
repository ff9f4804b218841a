import type { FastifyReply, FastifyRequest } from "fastify";

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms: this machine. */
export function isLoopback(ip: string): boolean {
  return ip === "::1" || /^(::ffff:)?127\./i.test(ip);
}

/**
 * `onRequest` hook for the plain-HTTP port of a device that serves HTTPS: requests from this machine pass
 * (the CLI talks to the agent over loopback HTTP and need not trust the self-signed certificate); every
 * other request is redirected to `https://<host><path>` on `publicPort` (443 → no port in the URL):
 * 301 for GET/HEAD, 308 for other methods (keeps method and body, RFC 9110 §15.4.9).
 */
export function httpsRedirect(publicPort: number) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (isLoopback(request.ip)) return;
    const host = (request.headers.host ?? "clawbox.local")
      .replace(/:\d+$/, "")
      .replace(/[^A-Za-z0-9.\-[\]:]/g, "");
    const port = publicPort === 443 ? "" : `:${publicPort}`;
    const code = request.method === "GET" || request.method === "HEAD" ? 301 : 308;
    await reply.redirect(`https://${host}${port}${request.url}`, code);
  };
}
