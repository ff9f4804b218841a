/** Header lookup: lowercase name → value (first occurrence), as mailparser's `headers` map gives. */
export type HeaderGet = (name: string) => string | undefined;

/**
 * True for mail that must never get an automatic answer (loop prevention): `Auto-Submitted` other than
 * "no" (RFC 3834 §5), `Precedence: bulk | list | junk` (RFC 2076, honoured by vacation responders),
 * mailing-list mail (`List-Id`, RFC 2919), and the common auto-reply markers `X-Auto-Response-Suppress`
 * and `X-Autoreply`/`X-Autorespond`.
 */
export function isAutomatedMail(get: HeaderGet): boolean {
  const auto = get("auto-submitted")?.trim().toLowerCase();
  if (auto && auto !== "no") return true;
  if (/^(bulk|list|junk)$/i.test(get("precedence")?.trim() ?? "")) return true;
  if (get("list-id") || get("list-unsubscribe")) return true;
  if (get("x-autoreply") || get("x-autorespond") || get("x-auto-response-suppress")) return true;
  return false;
}

/**
 * The sender's address when a trusted `Authentication-Results` header (RFC 8601) written by `authservId`
 * (the receiving server; others are ignored, since a sender can write the header too) reports
 * `dkim=pass` for the From address's domain (`header.d`, or `header.i` ending in it); else "".
 * `headers` are all Authentication-Results values in order; `from` the From address.
 */
export function dkimVerifiedSender(headers: string[], from: string, authservId: string): string {
  const address = from.trim().toLowerCase();
  const domain = address.split("@")[1];
  if (!domain) return "";
  for (const h of headers) {
    const [id, ...results] = h.split(";").map((s) => s.trim());
    if (id?.split(/\s+/)[0]?.toLowerCase() !== authservId.toLowerCase()) continue;
    for (const r of results) {
      if (!/^dkim\s*=\s*pass\b/i.test(r)) continue;
      const d = r.match(/header\.d\s*=\s*([^\s;]+)/i)?.[1]?.toLowerCase();
      const i = r.match(/header\.i\s*=\s*([^\s;]+)/i)?.[1]?.toLowerCase();
      if (d === domain || i?.endsWith(`@${domain}`) || i === `@${domain}`) return address;
    }
  }
  return "";
}
