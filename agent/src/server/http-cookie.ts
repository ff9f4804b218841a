/**
 * Minimal cookie helpers (RFC 6265) for the one session cookie; no extra package needed.
 */

/** The session cookie's name. */
export const SESSION_COOKIE = "clawbox_session";

/** The value of cookie `name` in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * A Set-Cookie value for the session: HttpOnly (no script access), SameSite=Strict (never sent on
 * cross-site requests), Path=/, Secure under TLS; `maxAgeSeconds` 0 deletes it.
 */
export function sessionCookie(value: string, opts: { secure: boolean; maxAgeSeconds: number }): string {
  const parts = [`${SESSION_COOKIE}=${encodeURIComponent(value)}`, "Path=/", "HttpOnly", "SameSite=Strict"];
  parts.push(`Max-Age=${opts.maxAgeSeconds}`);
  if (opts.secure) parts.push("Secure");
  return parts.join("; ");
}
