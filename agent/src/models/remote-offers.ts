/**
 * Remote backends the recommender can offer when no local model fits: the ones in the config's `backends:`
 * and other clawbox devices announcing `_clawbox._tcp` over mDNS on the LAN (image/avahi/clawbox.service).
 */
import type { Bonjour, Service } from "bonjour-service";
import type { RemoteBackendConfig, RoutingConfig } from "../config/backends-schema.js";
import type { RemoteOffer } from "./types.js";

/** The mDNS service type a clawbox device announces (DNS-SD `_clawbox._tcp`, RFC 6763). */
export const CLAWBOX_SERVICE_TYPE = "clawbox";

/** The configured backends as offers; ready (usable by `models use remote:<name>`) unless localOnly is on. */
export function configuredOffers(
  backends: Record<string, RemoteBackendConfig> | undefined,
  routing: RoutingConfig,
): RemoteOffer[] {
  return Object.entries(backends ?? {}).map(([name, b]) => ({
    name,
    url: b.url.replace(/\/+$/, ""),
    source: "configured" as const,
    ready: !routing.localOnly,
  }));
}

/**
 * An announced `_clawbox._tcp` service as an offer: URL `<scheme>://<host>:<port><api>` from its TXT record
 * (`scheme`, default https; `api`, default /v1), the name from the host name without `.local`, lowercased
 * and cut to the characters backend names allow. Null when the announcement has no host or port.
 */
export function offerFromService(s: Pick<Service, "host" | "port" | "txt">): RemoteOffer | null {
  if (!s.host || !s.port) return null;
  const txt = (s.txt ?? {}) as Record<string, string>;
  const scheme = txt.scheme === "http" ? "http" : "https";
  const api = typeof txt.api === "string" && txt.api.startsWith("/") ? txt.api : "/v1";
  const host = s.host.replace(/\.$/, "");
  const name =
    host
      .replace(/\.local$/i, "")
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "-")
      .replace(/^[^a-z0-9]+/, "")
      .slice(0, 64) || "lan";
  return { name, url: `${scheme}://${host}:${s.port}${api}`, source: "mdns", ready: false };
}

/**
 * Browses the LAN for `_clawbox._tcp` for `timeoutMs` (default 2,000 ms: an mDNS responder answers a query
 * within 20–120 ms plus up to 500 ms for shared records, RFC 6762 §6) and returns the offers found, without
 * the ones whose URL is in `known`. Never throws: a machine without multicast simply finds nothing.
 */
export async function discoverClawboxes(
  timeoutMs = 2_000,
  known: RemoteOffer[] = [],
): Promise<RemoteOffer[]> {
  const seen = new Set(known.map((o) => o.url));
  const found: RemoteOffer[] = [];
  let bonjour: Bonjour | undefined;
  try {
    // Imported here, not at the top: only `clawbox recommend` browses the LAN, and an idle agent that loads
    // this module for configuredOffers must not carry the mDNS stack in its resident memory.
    const { Bonjour } = await import("bonjour-service");
    bonjour = new Bonjour();
    const browser = bonjour.find({ type: CLAWBOX_SERVICE_TYPE }, (service: Service) => {
      const offer = offerFromService(service);
      if (offer && !seen.has(offer.url)) {
        seen.add(offer.url);
        found.push(offer);
      }
    });
    await new Promise((r) => setTimeout(r, timeoutMs));
    browser.stop();
  } catch {
    // no multicast-capable interface: nothing found
  } finally {
    bonjour?.destroy();
  }
  return found;
}
