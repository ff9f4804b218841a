import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../paths.js";
import { fleetUpdateArgs } from "./ansible-playbook.js";

const dir = mkdtempSync(join(tmpdir(), "clawbox-ansible-args-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const inventory = join(dir, "inventory.yml");
const archive = join(dir, "clawbox-0.2.0.tar.gz");
writeFileSync(inventory, "all: {}\n");
writeFileSync(archive, "");

describe("fleetUpdateArgs", () => {
  it("passes the version, archive and batches as one JSON -e and runs from the playbook folder", () => {
    const { args, cwd } = fleetUpdateArgs({
      version: "0.2.0",
      inventory,
      releaseArchive: archive,
      limit: "shop",
      serial: [1, "25%", "100%"],
      extraVars: ["clawbox_update_health_retries=90"],
    });
    expect(cwd).toBe(join(REPO_ROOT, "ansible"));
    expect(args.slice(0, 3)).toEqual(["-i", inventory, join(REPO_ROOT, "ansible", "fleet-update.yml")]);
    expect(JSON.parse(args[4] ?? "")).toEqual({
      clawbox_version: "0.2.0",
      clawbox_agent_release_archive: archive,
      clawbox_update_serial: [1, "25%", "100%"],
    });
    expect(args.slice(5)).toEqual(["--limit", "shop", "-e", "clawbox_update_health_retries=90"]);
  });

  it("names a missing release archive with how to build one", () => {
    expect(() =>
      fleetUpdateArgs({ version: "9.9.9", inventory, releaseArchive: join(dir, "nope.tar.gz") }),
    ).toThrow(/release archive .*nope\.tar\.gz does not exist/);
  });
});
