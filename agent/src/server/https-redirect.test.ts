import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { httpsRedirect, isLoopback } from "./https-redirect.js";

describe("httpsRedirect", () => {
  it("lets this machine through and sends everyone else to HTTPS, keeping path and method", async () => {
    const app = Fastify();
    app.addHook("onRequest", httpsRedirect(443));
    app.get("/x", async () => "plain");
    app.post("/x", async () => "plain");
    const local = await app.inject({ method: "GET", url: "/x", remoteAddress: "127.0.0.1" });
    expect(local.body).toBe("plain");
    const lan = await app.inject({
      method: "GET",
      url: "/x?y=1",
      remoteAddress: "192.168.1.7",
      headers: { host: "clawbox-7f.local:8080" },
    });
    expect(lan.statusCode).toBe(301);
    expect(lan.headers.location).toBe("https://clawbox-7f.local/x?y=1");
    const post = await app.inject({
      method: "POST",
      url: "/x",
      remoteAddress: "10.0.0.2",
      headers: { host: "box" },
    });
    expect(post.statusCode).toBe(308);
    const other = Fastify();
    other.addHook("onRequest", httpsRedirect(8443));
    other.get("/", async () => "plain");
    const r = await other.inject({
      method: "GET",
      url: "/",
      remoteAddress: "10.0.0.2",
      headers: { host: "box:8080" },
    });
    expect(r.headers.location).toBe("https://box:8443/");
    expect([isLoopback("::1"), isLoopback("::ffff:127.0.0.1"), isLoopback("10.0.0.1")]).toEqual([
      true,
      true,
      false,
    ]);
  });
});
