import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { TLSSocket } from "node:tls";

/** One answer from the device: status, headers, body text, and the TLS certificate's SHA-256 fingerprint. */
export interface DeviceResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** "AB:CD:…" (uppercase, as openssl and the console banner print it); null over plain HTTP. */
  fingerprint256: string | null;
}

/**
 * Sends one request to the booted device (`url` http:// or https://). Over HTTPS the self-signed device
 * certificate is accepted here and its fingerprint returned, so the caller compares it with the one the
 * console shows (what a user does in the browser). `body` is sent as JSON. Rejects on connection errors
 * and after `timeoutMs` (default 120 s: a chat answer under TCG emulation is slow).
 */
export function deviceRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {},
): Promise<DeviceResponse> {
  const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (data !== undefined) headers["content-type"] = "application/json";
  const secure = url.startsWith("https:");
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: opts.method ?? (data === undefined ? "GET" : "POST"),
        headers,
        timeout: opts.timeoutMs ?? 120_000,
        // A new connection per request: Node 20's global agent keeps sockets alive, and one kept from before
        // an agent restart (fleet update) is dead behind QEMU's user-mode NAT ("socket hang up").
        agent: false,
        ...(secure ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const fingerprint = secure
          ? ((res.socket as TLSSocket).getPeerCertificate().fingerprint256 ?? null)
          : null;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            fingerprint256: fingerprint,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`${url}: no answer within ${opts.timeoutMs ?? 120_000} ms`)),
    );
    req.on("error", reject);
    req.end(data);
  });
}

/**
 * Polls GET `url` every 3 s until `accept(response)` is true; resolves with that response. Rejects with
 * the last status or error after `timeoutMs`.
 */
export async function waitForDevice(
  url: string,
  accept: (r: DeviceResponse) => boolean,
  timeoutMs: number,
): Promise<DeviceResponse> {
  const deadline = Date.now() + timeoutMs;
  let last = "no attempt";
  for (;;) {
    try {
      const r = await deviceRequest(url, { timeoutMs: 15_000 });
      if (accept(r)) return r;
      last = `HTTP ${r.status}: ${r.body.slice(0, 200)}`;
    } catch (err) {
      last = String(err);
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms (last: ${last})`);
    await new Promise((r) => setTimeout(r, 3000));
  }
}
