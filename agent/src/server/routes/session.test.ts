import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { finishSetup, type Kit, makeKit } from "./setup-test-kit.js";

let kit: Kit;
beforeEach(async () => {
  kit = await makeKit();
  await finishSetup(kit, "purple-tractor-sings");
});
afterEach(async () => {
  await kit.close();
});

async function login(password = "purple-tractor-sings", remoteAddress = "127.0.0.1") {
  const res = await kit.app.inject({
    method: "POST",
    url: "/api/session",
    remoteAddress,
    payload: { username: "owner", password },
  });
  const cookie = String(res.headers["set-cookie"] ?? "").split(";")[0] as string;
  return { res, cookie, csrf: res.statusCode === 200 ? (res.json().csrfToken as string) : "" };
}

describe("session login", () => {
  it("logs in with the admin password: HttpOnly SameSite=Strict cookie, no Secure without TLS", async () => {
    const { res, cookie, csrf } = await login();
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers["set-cookie"]);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toMatch(/Secure/);
    const me = await kit.app.inject({ method: "GET", url: "/api/session", headers: { cookie } });
    expect(me.json()).toEqual({ username: "owner", role: "admin", csrfToken: csrf });
  });

  it("refuses a wrong password (401) and rate-limits an address after 5 failures (429)", async () => {
    for (let i = 0; i < 5; i++)
      expect((await login("wrong-password-x", "10.0.0.9")).res.statusCode).toBe(401);
    expect((await login("purple-tractor-sings", "10.0.0.9")).res.statusCode).toBe(429);
    expect((await login("purple-tractor-sings", "10.0.0.10")).res.statusCode).toBe(200);
  });

  it("needs the session for the dashboard and the CSRF token for mutations; logout ends the session", async () => {
    expect((await kit.app.inject({ method: "GET", url: "/api/dashboard/status" })).statusCode).toBe(401);
    const { cookie, csrf } = await login();
    expect(
      (await kit.app.inject({ method: "GET", url: "/api/dashboard/status", headers: { cookie } })).statusCode,
    ).toBe(200);
    const noCsrf = await kit.app.inject({
      method: "POST",
      url: "/api/dashboard/token/rotate",
      headers: { cookie },
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.code).toBe("csrf_token_missing");
    const out = await kit.app.inject({
      method: "DELETE",
      url: "/api/session",
      headers: { cookie, "x-csrf-token": csrf },
    });
    expect(out.statusCode).toBe(200);
    expect(String(out.headers["set-cookie"])).toMatch(/Max-Age=0/);
    expect(
      (await kit.app.inject({ method: "GET", url: "/api/dashboard/status", headers: { cookie } })).statusCode,
    ).toBe(401);
  });

  it("rotating the API token takes effect at once for the OpenAI-compatible API", async () => {
    const { cookie, csrf } = await login();
    const old = kit.token;
    const rotated = await kit.app.inject({
      method: "POST",
      url: "/api/dashboard/token/rotate",
      headers: { cookie, "x-csrf-token": csrf },
    });
    const fresh = rotated.json().token as string;
    expect(fresh).toMatch(/^cbx_/);
    expect(fresh).not.toBe(old);
    expect(
      (
        await kit.app.inject({
          method: "GET",
          url: "/v1/models",
          headers: { authorization: `Bearer ${old}` },
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (
        await kit.app.inject({
          method: "GET",
          url: "/v1/models",
          headers: { authorization: `Bearer ${fresh}` },
        })
      ).statusCode,
    ).toBe(200);
  });

  it("backs up config, device and conversations as a JSON download without secrets", async () => {
    const { cookie } = await login();
    const res = await kit.app.inject({ method: "GET", url: "/api/dashboard/backup", headers: { cookie } });
    expect(res.headers["content-disposition"]).toMatch(/attachment; filename="clawbox-backup-/);
    expect(res.json()).toMatchObject({
      kind: "clawbox-backup",
      device: { name: "box", timezone: "UTC" },
      conversations: [],
    });
    expect(res.body).not.toMatch(/scrypt\$/);
    expect(res.body).not.toContain(kit.token);
  });
});

describe("model download with progress", () => {
  let server: Server;
  let requests = 0;
  const fileBytes = Buffer.concat([
    Buffer.from("GGUF"),
    Buffer.from([3, 0, 0, 0]),
    Buffer.alloc(64 * 1024, 7),
  ]);
  beforeEach(async () => {
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { "content-length": fileBytes.length, "content-type": "application/octet-stream" });
      res.end(fileBytes);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });
  afterEach(() => new Promise<void>((r) => server.close(() => r())));

  it("pulls a GGUF through the dashboard API once (double click), stores and loads it", async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m/tiny-Q4_K_M.gguf`;
    const { cookie, csrf } = await login();
    const start = await kit.app.inject({
      method: "POST",
      url: "/api/dashboard/models/pull",
      headers: { cookie, "x-csrf-token": csrf },
      payload: { model: url },
    });
    expect(start.statusCode).toBe(202);
    // a second click on the same model does not start a second download
    await kit.app.inject({
      method: "POST",
      url: "/api/dashboard/models/pull",
      headers: { cookie, "x-csrf-token": csrf },
      payload: { model: url },
    });
    await kit.setup.downloads.settled();
    const state = kit.setup.downloads.state();
    expect(state).toMatchObject({
      status: "done",
      ref: url,
      model: { name: "tiny-Q4_K_M.gguf", bytes: fileBytes.length },
    });
    expect(state.progress?.downloadedBytes).toBe(fileBytes.length);
    expect(requests).toBe(1);
    const models = await kit.app.inject({ method: "GET", url: "/api/dashboard/models", headers: { cookie } });
    expect(models.json().stored.map((m: { name: string }) => m.name)).toEqual(["tiny-Q4_K_M.gguf"]);
    expect(kit.inference.model?.path).toMatch(/tiny-Q4_K_M\.gguf$/);
  });
});
