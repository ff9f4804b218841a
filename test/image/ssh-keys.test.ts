import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explain, ROOT, requireTool, run } from "./tools.js";

// image/libexec/ssh-keys (clawbox-ssh-keys.service) run on the host with real keys from ssh-keygen: which
// lines of the agent's list become admin's authorized keys. The booted image runs it for real
// (test/image/boot.test.ts).

const SCRIPT = join(ROOT, "image", "libexec", "ssh-keys");

describe("image/libexec/ssh-keys", () => {
  const dir = mkdtempSync(join(tmpdir(), "clawbox-ssh-keys-"));
  const out = join(dir, "out");
  const src = join(dir, "authorized_keys");
  const keys: Record<string, string> = {};

  beforeAll(() => {
    requireTool("ssh-keygen", "openssh-client");
    mkdirSync(out);
    for (const [name, args] of Object.entries({
      ed25519: ["-t", "ed25519"],
      ecdsa384: ["-t", "ecdsa", "-b", "384"],
      rsa3072: ["-t", "rsa", "-b", "3072"],
      rsa2048: ["-t", "rsa", "-b", "2048"],
    })) {
      const file = join(dir, name);
      const r = run("ssh-keygen", ["-q", ...args, "-N", "", "-C", `${name} key`, "-f", file]);
      expect(r.code, explain(r)).toBe(0);
      keys[name] = readFileSync(`${file}.pub`, "utf8").trim();
    }
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const install = (lines: string[]) => {
    writeFileSync(src, lines.map((l) => `${l}\n`).join(""));
    const r = run("sh", [SCRIPT], {
      env: { ...process.env, CLAWBOX_SSH_KEYS_SRC: src, CLAWBOX_SSH_KEYS_DIR: out },
    });
    expect(r.code, explain(r)).toBe(0);
    return { installed: readFileSync(join(out, "admin"), "utf8"), log: r.stderr + r.stdout };
  };

  it("installs ed25519, ECDSA and RSA ≥ 3072 keys with their comments, world-readable for sshd", () => {
    const good = [keys.ed25519, keys.ecdsa384, keys.rsa3072] as string[];
    const { installed, log } = install(["# a comment", "", ...good]);
    expect(installed).toBe(good.map((l) => `${l}\n`).join(""));
    expect(log).toContain("installed 3 SSH key(s)");
    expect(statSync(join(out, "admin")).mode & 0o777).toBe(0o644);
  });

  it("skips options prefixes, short RSA keys, mismatched types and garbage, keeping the valid lines", () => {
    const ed = keys.ed25519 as string;
    const blob = ed.split(" ")[1];
    const { installed, log } = install([
      `command="/bin/sh" ${ed}`,
      `from="10.0.0.1" ${ed}`,
      keys.rsa2048 as string,
      `ssh-rsa ${blob} relabelled`,
      "ssh-ed25519 not*base64",
      "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
      `ssh-ed25519 ${blob} bell\u0007`,
      ed,
    ]);
    expect(installed).toBe(`${ed}\n`);
    expect(log).toMatch(/line 1 skipped: key type or options prefix not allowed \(command\)/);
    expect(log).toMatch(/line 2 skipped: key type or options prefix not allowed \(from\)/);
    expect(log).toMatch(/line 3 skipped: RSA key of 2048 bits/);
    expect(log).toMatch(/line 4 skipped: (ssh-keygen cannot read the key|the key data is not a ssh-rsa key)/);
    expect(log).toMatch(/line 5 skipped: the key data is not base64/);
    expect(log).toMatch(/line 6 skipped: key type or options prefix not allowed \(ssh-dss\)/);
    expect(log).toMatch(/line 7 skipped: control characters in the comment/);
    expect(log).toContain("installed 1 SSH key(s)");
  });

  it("empties admin's extra keys when the agent's list is gone (all keys removed in the dashboard)", () => {
    rmSync(src, { force: true });
    const r = run("sh", [SCRIPT], {
      env: { ...process.env, CLAWBOX_SSH_KEYS_SRC: src, CLAWBOX_SSH_KEYS_DIR: out },
    });
    expect(r.code, explain(r)).toBe(0);
    expect(readFileSync(join(out, "admin"), "utf8")).toBe("");
  });
});
