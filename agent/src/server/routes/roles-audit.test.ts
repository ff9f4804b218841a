import { generateKeyPairSync } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EchoInference } from "../../../../test/bridges/kit/echo-inference.js";
import { PairingStore } from "../../pairing/pairing-store.js";
import { auditBackup } from "../../store/audit-log.js";
import { VIEWER_ROUTES } from "./role-policy.js";
import { finishSetup, type Kit, makeKit } from "./setup-test-kit.js";

const ADMIN_PW = "purple-tractor-sings";
const VIEWER_PW = "quiet-harbour-lights-7";
let kit: Kit;

beforeEach(async () => {
  // an instant stand-in engine: these tests are about who may call the chat, not about the model
  kit = await makeKit({ inference: () => new EchoInference() });
  await finishSetup(kit, ADMIN_PW);
});
afterEach(async () => {
  await kit.close();
});

async function login(username: string, password: string, remoteAddress = "192.168.1.20") {
  const res = await kit.app.inject({
    method: "POST",
    url: "/api/session",
    remoteAddress,
    payload: { username, password },
  });
  const cookie = String(res.headers["set-cookie"] ?? "").split(";")[0] as string;
  const csrf = res.statusCode === 200 ? (res.json().csrfToken as string) : "";
  const call = (method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: unknown) =>
    kit.app.inject({
      method,
      url,
      remoteAddress,
      headers: { cookie, "x-csrf-token": csrf },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  return { res, call };
}

/** A fresh ed25519 public key line (OpenSSH wire format). */
function sshLine(): string {
  const { publicKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  const wire = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([wire(Buffer.from("ssh-ed25519")), wire(raw)]).toString("base64")} ops@laptop`;
}

/** Every session route that only an admin may use, with a body that would pass validation. */
const ADMIN_ONLY: [method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: unknown][] = [
  ["GET", "/api/dashboard/token"],
  ["POST", "/api/dashboard/token/rotate", {}],
  ["GET", "/api/dashboard/models"],
  ["POST", "/api/dashboard/models/use", { model: "x.gguf" }],
  ["POST", "/api/dashboard/models/pull", { model: "x" }],
  ["POST", "/api/dashboard/models/cancel", {}],
  ["DELETE", "/api/dashboard/models/x.gguf"],
  ["GET", "/api/dashboard/device"],
  ["POST", "/api/dashboard/device", { name: "box2", timezone: "UTC" }],
  ["GET", "/api/dashboard/network"],
  ["POST", "/api/dashboard/network", { ssid: "home", passphrase: null }],
  ["GET", "/api/dashboard/ssh-keys"],
  ["POST", "/api/dashboard/ssh-keys", { key: "ssh-ed25519 AAAA x" }],
  ["DELETE", "/api/dashboard/ssh-keys?fingerprint=SHA256:x"],
  ["GET", "/api/dashboard/backup"],
  ["PUT", "/api/dashboard/bridges/home", { config: { type: "websocket" } }],
  ["DELETE", "/api/dashboard/bridges/home"],
  ["POST", "/api/dashboard/bridges/test", { id: "home", config: { type: "websocket" } }],
  ["GET", "/api/dashboard/pairing"],
  ["POST", "/api/dashboard/pairing/home/ABCDEFGH/approve", {}],
  ["POST", "/api/dashboard/pairing/home/ABCDEFGH/deny", {}],
  ["DELETE", "/api/dashboard/pairing/home/approved/u1"],
  ["GET", "/api/dashboard/accounts"],
  ["POST", "/api/dashboard/accounts", { username: "eve", password: VIEWER_PW, role: "admin" }],
  ["DELETE", "/api/dashboard/accounts/owner"],
  ["GET", "/api/dashboard/audit"],
  ["GET", "/api/dashboard/reminders"],
  [
    "POST",
    "/api/dashboard/reminders",
    { bridgeId: "home", chatId: "c", repeat: false, when: "18:30", text: "x" },
  ],
  ["DELETE", "/api/dashboard/reminders/1"],
];

describe("roles", () => {
  it("lets the admin add a viewer, who gets 403 with a clear message on every admin-only route", async () => {
    const admin = await login("owner", ADMIN_PW);
    const created = await admin.call("POST", "/api/dashboard/accounts", {
      username: "gran",
      password: VIEWER_PW,
      role: "viewer",
    });
    expect(created.statusCode).toBe(201);
    const viewer = await login("gran", VIEWER_PW);
    expect(viewer.res.json()).toMatchObject({ username: "gran", role: "viewer" });

    for (const [method, url, payload] of ADMIN_ONLY) {
      const res = await viewer.call(method, url, payload);
      expect({ method, url, status: res.statusCode }).toEqual({ method, url, status: 403 });
      expect(res.json().error.code).toBe("admin_only");
      expect(res.json().error.message).toBe(
        'the account "gran" is a viewer: only an admin can do this — fix: log in with an admin account, or ask the device\'s admin',
      );
    }
    // what a viewer may do still works
    expect((await viewer.call("GET", "/api/dashboard/status")).statusCode).toBe(200);
    expect((await viewer.call("GET", "/api/session")).statusCode).toBe(200);
    expect((await viewer.call("GET", "/api/dashboard/logs")).statusCode).toBe(501); // no log ring in this kit
    expect([...VIEWER_ROUTES]).toContain("POST /api/dashboard/chat");
    const chat = await viewer.call("POST", "/api/dashboard/chat", {
      conversationId: "c1",
      messages: [{ role: "user", content: "hello there" }],
    });
    expect(chat.json()).toEqual({ text: "echo: hello there" });
    expect((kit.inference as EchoInference).requests[0]?.conversationId).toBe("dashboard:gran:c1");
    // and nothing changed: gran is still a viewer, owner still exists
    const accounts = (await admin.call("GET", "/api/dashboard/accounts")).json().accounts;
    expect(accounts.map((a: { username: string; role: string }) => `${a.username}:${a.role}`)).toEqual([
      "owner:admin",
      "gran:viewer",
    ]);
  });

  it("keeps at least one admin, refuses duplicates and removing oneself, and ends a removed viewer's session", async () => {
    const admin = await login("owner", ADMIN_PW);
    await admin.call("POST", "/api/dashboard/accounts", {
      username: "gran",
      password: VIEWER_PW,
      role: "viewer",
    });
    const viewer = await login("gran", VIEWER_PW);
    expect(
      (
        await admin.call("POST", "/api/dashboard/accounts", {
          username: "gran",
          password: VIEWER_PW,
          role: "viewer",
        })
      ).json().error.code,
    ).toBe("account_exists");
    expect((await admin.call("DELETE", "/api/dashboard/accounts/owner")).json().error.code).toBe(
      "account_is_self",
    );
    expect(() => kit.setup.admins.removeAccount("owner")).toThrow(/only admin/);
    expect((await admin.call("DELETE", "/api/dashboard/accounts/gran")).statusCode).toBe(200);
    expect((await viewer.call("GET", "/api/dashboard/status")).statusCode).toBe(401);
  });
});

describe("audit log", () => {
  const entries = () => kit.audit.list({ limit: 1000 }).reverse();
  const last = () => entries().at(-1);

  it("records setup steps, logins and failed logins with who, when and from where", async () => {
    expect(entries().map((e) => `${e.actor} ${e.action} ${e.target} ${e.outcome}`)).toEqual([
      "setup setup.admin owner ok",
      "setup setup.device box ok",
      "setup setup.finish null ok",
    ]);
    await login("owner", "wrong-password-xyz", "10.1.2.3");
    expect(last()).toMatchObject({
      actor: "anonymous",
      action: "login.failed",
      target: "owner",
      ip: "10.1.2.3",
      outcome: "denied",
      detail: "login_failed",
    });
    await login("owner", ADMIN_PW, "10.1.2.4");
    expect(last()).toMatchObject({ actor: "owner", action: "login", ip: "10.1.2.4", outcome: "ok" });
    expect(Date.now() - Date.parse(last()?.at ?? "")).toBeLessThan(60_000);
    // the password typed is nowhere in the log
    expect(JSON.stringify(entries())).not.toContain("wrong-password-xyz");
  });

  it("records model switch, bridge change, pairing approve/deny, token rotate, SSH key add/remove, accounts, denials", async () => {
    const admin = await login("owner", ADMIN_PW);
    const pairing = new PairingStore(kit.db);
    const codeOf = (o: ReturnType<PairingStore["request"]>) => (o.kind === "full" ? "" : o.request.code);
    const a = codeOf(pairing.request("home", { id: "u1", chatId: "c1" }));
    const b = codeOf(pairing.request("home", { id: "u2", chatId: "c2" }));
    const key = sshLine();
    let token = kit.token;

    const steps: [string, () => Promise<unknown>, string, string | null, string][] = [
      [
        "model.switch",
        () => admin.call("POST", "/api/dashboard/models/use", { model: "tiny.gguf" }),
        "owner",
        "tiny.gguf",
        "ok",
      ],
      [
        "bridge.change",
        () => admin.call("PUT", "/api/dashboard/bridges/home", { config: { type: "websocket" } }),
        "owner",
        "home",
        "failed",
      ],
      [
        "pairing.approve",
        () => admin.call("POST", `/api/dashboard/pairing/home/${a}/approve`, {}),
        "owner",
        `home/${a}`,
        "ok",
      ],
      [
        "pairing.deny",
        () => admin.call("POST", `/api/dashboard/pairing/home/${b}/deny`, {}),
        "owner",
        `home/${b}`,
        "ok",
      ],
      [
        "token.rotate",
        async () => {
          token = (await admin.call("POST", "/api/dashboard/token/rotate", {})).json().token;
        },
        "owner",
        null,
        "ok",
      ],
      ["ssh-key.add", () => admin.call("POST", "/api/dashboard/ssh-keys", { key }), "owner", null, "ok"],
      [
        "account.create",
        () =>
          admin.call("POST", "/api/dashboard/accounts", {
            username: "gran",
            password: VIEWER_PW,
            role: "viewer",
          }),
        "owner",
        "gran",
        "ok",
      ],
      [
        "model.switch",
        () =>
          kit.app.inject({
            method: "POST",
            url: "/admin/model",
            headers: { authorization: `Bearer ${token}` },
            payload: { model: "other.gguf" },
          }),
        "api-token",
        "other.gguf",
        "ok",
      ],
    ];
    for (const [action, run, actor, target, outcome] of steps) {
      await run();
      expect(last(), action).toMatchObject({
        action,
        actor,
        target,
        outcome,
        ip: action === "model.switch" && actor === "api-token" ? "127.0.0.1" : "192.168.1.20",
      });
    }
    const fingerprint = (await admin.call("GET", "/api/dashboard/ssh-keys")).json().keys[0]
      .fingerprint as string;
    await admin.call("DELETE", `/api/dashboard/ssh-keys?fingerprint=${encodeURIComponent(fingerprint)}`);
    expect(last()).toMatchObject({ action: "ssh-key.remove", target: fingerprint, outcome: "ok" });

    const viewer = await login("gran", VIEWER_PW);
    await viewer.call("POST", "/api/dashboard/token/rotate", {});
    expect(last()).toMatchObject({
      actor: "gran",
      action: "token.rotate",
      outcome: "denied",
      detail: "admin_only",
    });
    // neither token is in the log
    expect(JSON.stringify(entries())).not.toContain(token);
    expect(JSON.stringify(entries())).not.toContain(kit.token);
  });

  it("records backups through auditBackup, is append-only, and is listed in the dashboard and over the admin API", async () => {
    auditBackup(kit.audit, "create", { actor: "job:backup", archive: "clawbox-2026-12-05.cbk" });
    auditBackup(kit.audit, "restore", {
      actor: "cli:root",
      archive: "clawbox-2026-12-05.cbk",
      outcome: "failed",
      detail: "backup_passphrase",
    });
    expect(last()).toMatchObject({ action: "backup.restore", actor: "cli:root", outcome: "failed" });
    expect(() => kit.db.prepare("UPDATE audit_log SET actor = 'nobody'").run()).toThrow(/append-only/);
    expect(() => kit.db.prepare("DELETE FROM audit_log").run()).toThrow(/append-only/);

    const admin = await login("owner", ADMIN_PW);
    const listed = (await admin.call("GET", "/api/dashboard/audit?action=backup.")).json().entries;
    expect(listed.map((e: { action: string }) => e.action)).toEqual(["backup.restore", "backup.create"]);
    const api = await kit.app.inject({
      method: "GET",
      url: "/admin/audit?limit=2",
      headers: { authorization: `Bearer ${kit.token}` },
    });
    expect(api.json().entries.map((e: { action: string }) => e.action)).toEqual(["login", "backup.restore"]);
    expect((await kit.app.inject({ method: "GET", url: "/admin/audit" })).statusCode).toBe(401);
  });
});

describe("reminders in the dashboard", () => {
  it("adds, lists and removes reminders in the device's time zone; refuses unreadable times; audits changes", async () => {
    const admin = await login("owner", ADMIN_PW);
    const added = await admin.call("POST", "/api/dashboard/reminders", {
      bridgeId: "home",
      chatId: "kitchen",
      repeat: true,
      when: "weekday 08:00",
      text: "morning summary",
    });
    expect(added.statusCode).toBe(201);
    const reminder = added.json().reminder;
    expect(reminder).toMatchObject({ cron: "0 0 8 * * 1-5", timezone: "UTC", createdBy: "dashboard:owner" });
    expect(new Date(reminder.nextRunAt).getUTCHours()).toBe(8);
    const listed = (await admin.call("GET", "/api/dashboard/reminders")).json();
    expect(listed.timezone).toBe("UTC");
    expect(listed.reminders.map((r: { text: string }) => r.text)).toEqual(["morning summary"]);
    const bad = await admin.call("POST", "/api/dashboard/reminders", {
      bridgeId: "home",
      chatId: "kitchen",
      repeat: false,
      when: "someday",
      text: "x",
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe("reminder_when");
    expect((await admin.call("DELETE", `/api/dashboard/reminders/${reminder.id}`)).statusCode).toBe(200);
    expect((await admin.call("DELETE", `/api/dashboard/reminders/${reminder.id}`)).statusCode).toBe(404);
    expect((await admin.call("GET", "/api/dashboard/reminders")).json().reminders).toEqual([]);
    const actions = kit.audit
      .list({ action: "reminder." })
      .map((e) => `${e.action} ${e.outcome}`)
      .reverse();
    expect(actions).toEqual([
      "reminder.add ok",
      "reminder.add failed",
      "reminder.remove ok",
      "reminder.remove failed",
    ]);
  });
});
