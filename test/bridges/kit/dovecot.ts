import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const DOVECOT = "/usr/sbin/dovecot";

/** A real Dovecot (Debian `dovecot-imapd` + `dovecot-lmtpd`): IMAP for the bot, LMTP to deliver test mail. */
export interface TestDovecot {
  imapPort: number;
  lmtpPort: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, what: () => string): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = createConnection(port, "127.0.0.1", () => {
        c.destroy();
        r(true);
      });
      c.on("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() > end || child.exitCode !== null) {
      child.kill();
      throw new Error(`dovecot did not start:\n${what()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts Dovecot in the foreground (`-F -c conf`) from a temp dir: plaintext IMAP and LMTP on free loopback
 * ports, passwd-file users (name → password), Maildir under the temp dir owned by uid 65534 (Dovecot refuses
 * mail access as root). Throws when dovecot is missing (`apt-get install dovecot-imapd dovecot-lmtpd`).
 */
export async function startDovecot(users: Record<string, string>): Promise<TestDovecot> {
  if (spawnSync(DOVECOT, ["--version"]).status !== 0) {
    throw new Error(`${DOVECOT} not found: apt-get install -y dovecot-imapd dovecot-lmtpd`);
  }
  const dir = mkdtempSync(join(tmpdir(), "clawbox-dovecot-"));
  chmodSync(dir, 0o755);
  for (const d of ["mail", "home"]) {
    mkdirSync(join(dir, d));
    chmodSync(join(dir, d), 0o777);
  }
  const imapPort = await freePort();
  const lmtpPort = await freePort();
  writeFileSync(
    join(dir, "users"),
    Object.entries(users)
      .map(([u, p]) => `${u}:{PLAIN}${p}\n`)
      .join(""),
    { mode: 0o644 },
  );
  const conf = join(dir, "dovecot.conf");
  writeFileSync(
    conf,
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%n
first_valid_uid = 65534
mailbox_idle_check_interval = 1 secs
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${dir}/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=${dir}/home/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${lmtpPort}
  }
}
protocol lmtp {
  postmaster_address = postmaster@localhost
}
`,
  );
  const child = spawn(DOVECOT, ["-F", "-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  await waitForPort(imapPort, child, () => output);
  await waitForPort(lmtpPort, child, () => output);
  return {
    imapPort,
    lmtpPort,
    stop: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
