import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PROSODY = "/usr/bin/prosody";
export const PROSODYCTL = "/usr/bin/prosodyctl";

/** A real Prosody (Debian package `prosody`) with accounts on the virtual host "localhost". */
export interface TestProsody {
  port: number;
  domain: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Starts Prosody in the foreground with a config and data dir in a temp dir (c2s on a free loopback port,
 * no s2s, no TLS, SCRAM/PLAIN logins allowed unencrypted — loopback only) and registers `accounts`
 * (name → password) with prosodyctl. Throws when prosody is missing (`apt-get install prosody`) or does
 * not come up within 10 s.
 */
export async function startProsody(accounts: Record<string, string>): Promise<TestProsody> {
  if (spawnSync(PROSODYCTL, ["--help"]).error)
    throw new Error(`${PROSODYCTL} not found: apt-get install -y prosody`);
  const dir = mkdtempSync(join(tmpdir(), "clawbox-prosody-"));
  mkdirSync(join(dir, "data"));
  const port = await freePort();
  const conf = join(dir, "prosody.cfg.lua");
  writeFileSync(
    conf,
    [
      `pidfile = "${join(dir, "prosody.pid")}"`,
      `data_path = "${join(dir, "data")}"`,
      `certificates = "${dir}"`,
      "daemonize = false",
      "run_as_root = true",
      'interfaces = { "127.0.0.1" }',
      `c2s_ports = { ${port} }`,
      "s2s_ports = { }",
      "c2s_direct_tls_ports = { }",
      "legacy_ssl_ports = { }",
      'modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "posix" }',
      'modules_disabled = { "s2s"; "tls" }',
      'authentication = "internal_plain"',
      "c2s_require_encryption = false",
      "allow_unencrypted_plain_auth = true",
      'log = { { levels = { min = "error" }, to = "console" } }',
      'VirtualHost "localhost"',
      "",
    ].join("\n"),
  );
  for (const [name, password] of Object.entries(accounts)) {
    const r = spawnSync(PROSODYCTL, ["--config", conf, "register", name, "localhost", password], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`prosodyctl register ${name} failed: ${r.stderr}`);
  }
  const child: ChildProcess = spawn(PROSODY, ["--config", conf, "-F"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const end = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = createConnection(port, "127.0.0.1", () => {
        c.destroy();
        r(true);
      });
      c.on("error", () => r(false));
    });
    if (ok) break;
    if (Date.now() > end || child.exitCode !== null) {
      child.kill();
      throw new Error(`prosody did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    domain: "localhost",
    stop: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
