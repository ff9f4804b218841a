import { Bonjour } from "bonjour-service";
import { describe, expect, it } from "vitest";
import { configuredOffers, discoverClawboxes, offerFromService } from "./remote-offers.js";

describe("remote offers", () => {
  it("turns a _clawbox._tcp announcement into an offer from its host, port and TXT record", () => {
    expect(offerFromService({ host: "clawbox-ab12.local", port: 443, txt: { api: "/v1" } })).toEqual({
      name: "clawbox-ab12",
      url: "https://clawbox-ab12.local:443/v1",
      source: "mdns",
      ready: false,
    });
    expect(offerFromService({ host: "Big Box.local.", port: 8080, txt: { scheme: "http" } })?.url).toBe(
      "http://Big Box.local:8080/v1",
    );
    expect(offerFromService({ host: "Big Box.local.", port: 8080, txt: {} })?.name).toBe("big-box");
    expect(offerFromService({ host: "", port: 443, txt: {} })).toBeNull();
  });

  it("marks configured backends ready only when routing.localOnly is off", () => {
    const backends = { "big-box": { url: "http://big-box.local:8080/v1/", timeoutMs: 1000 } };
    expect(configuredOffers(backends, { localOnly: false, fallback: ["local"] })).toEqual([
      { name: "big-box", url: "http://big-box.local:8080/v1", source: "configured", ready: true },
    ]);
    expect(configuredOffers(backends, { localOnly: true, fallback: ["local"] })[0]?.ready).toBe(false);
  });

  it("finds a device announcing _clawbox._tcp on the LAN (mDNS library imported on first use)", async () => {
    // Another clawbox on the network, played by the same mDNS library a device's announcer speaks to.
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const other = new Bonjour();
    other.publish({ name: `clawbox-test-${port}`, type: "clawbox", port, txt: { scheme: "http" } });
    try {
      const found = await discoverClawboxes(2_000);
      expect(found.filter((o) => o.url.endsWith(`:${port}/v1`))).toEqual([
        expect.objectContaining({ source: "mdns", ready: false, url: expect.stringMatching(/^http:\/\//) }),
      ]);
    } finally {
      await new Promise<void>((r) => other.unpublishAll(() => r()));
      other.destroy();
    }
  });
});
