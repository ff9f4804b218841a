import { readdirSync, readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConversationStore } from "../../store/conversation-store.js";
import { finishSetup, type Kit, makeKit } from "./setup-test-kit.js";

/**
 * The dashboard's jobs and backups API and the wizard's restore, over the real server, setup services,
 * scheduler and backup service on a temp data dir.
 */

const PASS = "correct horse battery staple";
let kit: Kit;

async function login(k: Kit) {
  const res = await k.app.inject({
    method: "POST",
    url: "/api/session",
    payload: { username: "owner", password: "purple-tractor-sings" },
  });
  return {
    cookie: String(res.headers["set-cookie"]).split(";")[0] as string,
    "x-csrf-token": res.json().csrfToken,
  };
}

beforeEach(async () => {
  kit = await makeKit();
  await finishSetup(kit);
});
afterEach(async () => {
  await kit.close();
});

describe("dashboard jobs and backups", () => {
  it("lists the jobs with next runs and runs one on demand", async () => {
    const headers = await login(kit);
    const list = (await kit.app.inject({ method: "GET", url: "/api/dashboard/jobs", headers })).json();
    expect(list.jobs.map((j: { name: string }) => j.name)).toEqual([
      "retention",
      "sqlite-maintenance",
      "sqlite-integrity",
      "backup",
    ]);
    const run = await kit.app.inject({
      method: "POST",
      url: "/api/dashboard/jobs/sqlite-integrity/run",
      headers,
    });
    expect(run.json().run).toMatchObject({ ok: true, result: "integrity ok" });
    const missing = await kit.app.inject({ method: "POST", url: "/api/dashboard/jobs/nope/run", headers });
    expect(missing.statusCode).toBe(404);
    expect((await kit.app.inject({ method: "GET", url: "/api/dashboard/jobs" })).statusCode).toBe(401);
  });

  it("sets a passphrase, makes, lists and downloads a backup, and restores it after a restart", async () => {
    const headers = await login(kit);
    const short = await kit.app.inject({
      method: "POST",
      url: "/api/dashboard/backups/passphrase",
      headers,
      payload: { passphrase: "short" },
    });
    expect(short.statusCode).toBe(400);
    expect(short.json().error.message).toContain("at least 12 characters");
    const noPass = await kit.app.inject({ method: "POST", url: "/api/dashboard/backups", headers });
    expect(noPass.statusCode).toBe(400);
    expect(noPass.json().error.code).toBe("backup_no_passphrase");
    await kit.app.inject({
      method: "POST",
      url: "/api/dashboard/backups/passphrase",
      headers,
      payload: { passphrase: PASS },
    });
    new ConversationStore(kit.db).ensureConversation({ id: "kept", source: "api" });
    const made = await kit.app.inject({ method: "POST", url: "/api/dashboard/backups", headers });
    expect(made.statusCode).toBe(200);
    const name = made.json().backup.name as string;
    const list = (await kit.app.inject({ method: "GET", url: "/api/dashboard/backups", headers })).json();
    expect(list).toMatchObject({ passphraseSet: true, backups: [{ name }] });
    const file = await kit.app.inject({ method: "GET", url: `/api/dashboard/backups/${name}`, headers });
    expect(file.headers["content-type"]).toBe("application/octet-stream");
    expect(file.rawPayload.subarray(0, 8).toString()).toBe("CLAWBOXB");
    expect(
      (await kit.app.inject({ method: "GET", url: "/api/dashboard/backups/x.cbx", headers })).statusCode,
    ).toBe(404);

    // the conversation is deleted after the backup; a restore brings it back
    kit.db.prepare("DELETE FROM conversations").run();
    const upload = (passphrase: string, body: Buffer) =>
      kit.app.inject({
        method: "POST",
        url: "/api/dashboard/backups/restore",
        headers: {
          ...headers,
          "content-type": "application/octet-stream",
          "x-backup-passphrase": encodeURIComponent(passphrase),
        },
        payload: body,
      });
    const wrong = await upload("wrong passphrase ü 12", file.rawPayload);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.message).toContain("passphrase does not match");
    expect(readdirSync(kit.dataDir)).not.toContain("restore-pending");
    const ok = await upload(PASS, file.rawPayload);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ restarting: true, restored: { hostname: expect.any(String) } });
    await new Promise((r) => setTimeout(r, 300));
    expect(kit.restartRequests).toBe(1);
    await kit.restart();
    expect(new ConversationStore(kit.db).getConversation("kept")).not.toBeNull();
    expect(readdirSync(kit.dataDir)).not.toContain("restore-pending");
  });
});

describe("the wizard's restore", () => {
  it("restores a backup on a fresh device with the setup code; the device is then set up", async () => {
    const headers = await login(kit);
    await kit.app.inject({
      method: "POST",
      url: "/api/dashboard/backups/passphrase",
      headers,
      payload: { passphrase: PASS },
    });
    const made = (await kit.app.inject({ method: "POST", url: "/api/dashboard/backups", headers })).json();
    const archive = readFileSync(`${kit.dataDir}/backups/${made.backup.name}`);

    const fresh = await makeKit();
    try {
      const send = (code: string | null) =>
        fresh.app.inject({
          method: "POST",
          url: "/api/setup/restore",
          headers: {
            "x-setup-code": code ?? "",
            "content-type": "application/octet-stream",
            "x-backup-passphrase": encodeURIComponent(PASS),
          },
          payload: archive,
        });
      expect((await send("WRONGCODE")).statusCode).toBe(401);
      const res = await send(fresh.code);
      expect(res.statusCode).toBe(200);
      await fresh.restart();
      expect((await fresh.app.inject({ method: "GET", url: "/api/setup" })).json().state).toBe("configured");
    } finally {
      await fresh.close();
    }
  });
});
