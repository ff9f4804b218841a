import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Kit, makeKit } from "../server/routes/setup-test-kit.js";
import type { SeedFiles } from "./seed-admin.js";

// The real server and setup services over a temp data dir, with the files `clawbox seed import` leaves
// in /etc/clawbox written into a temp folder.

const PASSWORD = "purple-tractor-sings-42";
/** `openssl passwd -6` of PASSWORD, as the owner puts it in clawbox.yaml. */
const HASH = execFileSync("openssl", ["passwd", "-6", PASSWORD], { encoding: "utf8" }).trim();
let dir: string;
let seed: SeedFiles;
let kit: Kit | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-seed-admin-"));
  seed = { admin: join(dir, "seed-admin.json"), error: join(dir, "seed-error") };
});

afterEach(async () => {
  await kit?.close();
  kit = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const status = async (k: Kit) => (await k.app.inject({ method: "GET", url: "/api/setup" })).json();
const adminStep = (s: { steps: { id: string; status: string }[] }) =>
  s.steps.find((x) => x.id === "admin")?.status;

describe("a seeded admin account and a seed error in the setup API", () => {
  it("marks the admin step done with the seed's account, so the wizard skips it", async () => {
    writeFileSync(seed.admin, JSON.stringify({ username: "owner", passwordHash: HASH }));
    kit = await makeKit({ seed });
    const s = await status(kit);
    expect(adminStep(s)).toBe("done");
    expect(s.current).toBe("welcome");
    expect(s.seedError).toBeNull();
    expect(kit.setup.admins.usernames()).toEqual(["owner"]);
    // The owner signs in with the password behind the seed's hash.
    expect(await kit.setup.admins.verify("owner", PASSWORD)).toBe(true);
    expect(await kit.setup.admins.verify("owner", "wrong-password-here")).toBe(false);
  });

  it("leaves an admin chosen in the wizard alone after a restart", async () => {
    kit = await makeKit({ seed });
    await kit.setup.flow.setAdmin("alice", "purple-tractor-sings-42");
    writeFileSync(seed.admin, JSON.stringify({ username: "owner", passwordHash: HASH }));
    await kit.restart();
    expect(kit.setup.admins.usernames()).toEqual(["alice"]);
  });

  it("ignores a malformed seed-admin.json and keeps the admin step pending", async () => {
    writeFileSync(seed.admin, "{ not json");
    kit = await makeKit({ seed });
    expect(adminStep(await status(kit))).toBe("pending");
  });

  it("reports the rejected seed's error line in GET /api/setup", async () => {
    const line =
      "seed file /boot/efi/clawbox.yaml:3: hostname must be one lower-case label — fix: change hostname";
    writeFileSync(seed.error, `${line}\n`);
    kit = await makeKit({ seed });
    const s = await status(kit);
    expect(s.seedError).toBe(line);
    expect(adminStep(s)).toBe("pending");
  });
});
