import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Requests older or newer than this are refused (replay window), ms: 5 minutes, so a captured signed request
 * cannot be replayed later.
 */
export const SIGNATURE_WINDOW_MS = 5 * 60_000;
export const TIMESTAMP_HEADER = "x-clawbox-timestamp";
export const SIGNATURE_HEADER = "x-clawbox-signature";

/**
 * Signature of a webhook body: `sha256=` + hex HMAC-SHA256(secret, `<timestamp>.<body>`), timestamp in
 * whole seconds since the epoch (the scheme Slack and Stripe use, so the body cannot be replayed with
 * another timestamp).
 */
export function signBody(secret: string, timestampSec: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestampSec}.${body}`).digest("hex")}`;
}

/** Headers for a signed request sent now. */
export function signedHeaders(secret: string, body: string, now = Date.now()): Record<string, string> {
  const ts = Math.floor(now / 1000);
  return { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signBody(secret, ts, body) };
}

/**
 * Checks a signed request: null when valid, else the reason ("missing signature", "timestamp outside the
 * 5-minute window", "bad signature"). Constant-time comparison.
 */
export function verifySignature(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  body: string,
  now = Date.now(),
): string | null {
  if (!timestamp || !signature) return "missing signature";
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(now - ts * 1000) > SIGNATURE_WINDOW_MS) {
    return "timestamp outside the 5-minute window";
  }
  const expected = Buffer.from(signBody(secret, ts, body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return "bad signature";
  return null;
}
