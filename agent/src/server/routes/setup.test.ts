import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setupCodePath } from "../../setup/setup-code.js";
import { systemRequestsPath } from "../../system/recording-system-actions.js";
import { type Kit, makeKit } from "./setup-test-kit.js";

let kit: Kit;
beforeEach(async () => {
  kit = await makeKit();
});
afterEach(async () => {
  await kit.close();
});

function post(url: string, payload: unknown, code: string | null = kit.code, remoteAddress = "127.0.0.1") {
  return kit.app.inject({
    method: "POST",
    url,
    payload: payload as object,
    remoteAddress,
    headers: code === null ? {} : { "x-setup-code": code },
  });
}

async function completeRequiredSteps(): Promise<void> {
  expect((await post("/api/setup/welcome", { language: "en" })).statusCode).toBe(200);
  expect(
    (await post("/api/setup/admin", { username: "owner", password: "purple-tractor-sings" })).statusCode,
  ).toBe(200);
  expect(
    (await post("/api/setup/device", { name: "Kitchen-Box", timezone: "Asia/Shanghai" })).statusCode,
  ).toBe(200);
}

describe("setup API", () => {
  it("GET /api/setup answers without a code and starts unconfigured", async () => {
    const res = await kit.app.inject({ method: "GET", url: "/api/setup" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ state: "unconfigured", current: "welcome" });
    expect(kit.code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
  });

  it("answers 401 without or with a wrong code, and accepts the code as typed (lower case, grouped)", async () => {
    expect((await post("/api/setup/welcome", { language: "en" }, null)).statusCode).toBe(401);
    const wrong = await post("/api/setup/welcome", { language: "en" }, "WRONGCDE");
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe("setup_code");
    const code = kit.code as string;
    const typed = `${code.slice(0, 4).toLowerCase()}-${code.slice(4)}`;
    expect((await post("/api/setup/welcome", { language: "zh-CN" }, typed)).statusCode).toBe(200);
    expect((await kit.app.inject({ method: "GET", url: "/api/setup" })).json().language).toBe("zh-CN");
  });

  it("answers 429 after 5 wrong codes within a minute from one address, even with the right code; others unaffected", async () => {
    for (let i = 0; i < 5; i++)
      expect((await post("/api/setup/finish", {}, "AAAAAAAA", "192.168.1.50")).statusCode).toBe(401);
    const blocked = await post("/api/setup/welcome", { language: "en" }, kit.code, "192.168.1.50");
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    expect((await post("/api/setup/welcome", { language: "en" }, kit.code, "192.168.1.51")).statusCode).toBe(
      200,
    );
  });

  it("refuses addresses outside loopback/private/link-local with 403", async () => {
    const res = await post("/api/setup/welcome", { language: "en" }, kit.code, "8.8.8.8");
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("setup_address");
  });

  it("refuses weak passwords naming the problems, and invalid device names and time zones", async () => {
    const weak = await post("/api/setup/admin", { username: "owner", password: "password123" });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.code).toBe("weak_password");
    expect(weak.json().error.message).toMatch(/common/);
    expect((await post("/api/setup/device", { name: "my box", timezone: "UTC" })).json().error.code).toBe(
      "invalid_device_name",
    );
    expect((await post("/api/setup/device", { name: "box", timezone: "Mars/Base" })).json().error.code).toBe(
      "invalid_timezone",
    );
    expect((await post("/api/setup/admin", { username: "owner" })).statusCode).toBe(400);
  });

  it("cannot finish before the admin and device steps (409)", async () => {
    const res = await post("/api/setup/finish", {});
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("setup_incomplete");
  });

  it("runs the flow, applies device changes through SystemActions, then answers 410 for good (also after a restart)", async () => {
    await completeRequiredSteps();
    const requests = readFileSync(systemRequestsPath(kit.dataDir), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(requests.map((r) => [r.action, r.name ?? r.timezone])).toEqual([
      ["set-hostname", "kitchen-box"],
      ["set-timezone", "Asia/Shanghai"],
    ]);
    expect((await post("/api/setup/skip", { step: "network" })).json().steps).toContainEqual({
      id: "network",
      status: "skipped",
    });
    const details = (
      await kit.app.inject({
        method: "GET",
        url: "/api/setup/details",
        headers: { "x-setup-code": kit.code as string },
      })
    ).json();
    expect(details).toMatchObject({
      admin: "owner",
      device: { name: "kitchen-box", timezone: "Asia/Shanghai" },
      current: "model",
    });

    const finish = await post("/api/setup/finish", {});
    expect(finish.statusCode).toBe(200);
    expect(finish.json().state).toBe("configured");
    expect(String(finish.headers["set-cookie"])).toMatch(
      /clawbox_session=.+; Path=\/; HttpOnly; SameSite=Strict/,
    );
    expect(existsSync(setupCodePath(kit.dataDir))).toBe(false);

    for (const url of ["/api/setup/admin", "/api/setup/device", "/api/setup/finish", "/api/setup/welcome"]) {
      const res = await post(url, {}, "ANYTHING");
      expect(res.statusCode).toBe(410);
    }
    await kit.restart();
    expect(kit.code).toBeNull();
    expect(existsSync(join(kit.dataDir, "setup-code"))).toBe(false);
    expect((await kit.app.inject({ method: "GET", url: "/api/setup" })).json().state).toBe("configured");
    expect(
      (await post("/api/setup/admin", { username: "evil", password: "purple-tractor-sings" }, "ANYTHING"))
        .statusCode,
    ).toBe(410);
  });

  it("keeps progress across a restart (resumable) with the same code", async () => {
    const code = kit.code;
    await post("/api/setup/welcome", { language: "en" });
    await post("/api/setup/admin", { username: "owner", password: "purple-tractor-sings" });
    await kit.restart();
    expect(kit.code).toBe(code);
    expect((await kit.app.inject({ method: "GET", url: "/api/setup" })).json().current).toBe("device");
  });

  it("validates SSH keys and stores a good one", async () => {
    const bad = await post("/api/setup/ssh-key", { key: "ssh-rsa AAAAB3NzaC1yc2E" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe("ssh_key");
  });

  it("explains why Wi-Fi is skipped in development", async () => {
    const res = await kit.app.inject({
      method: "GET",
      url: "/api/setup/network",
      headers: { "x-setup-code": kit.code as string },
    });
    expect(res.json()).toEqual({ wifi: false, reason: "development", networks: [] });
  });
});
