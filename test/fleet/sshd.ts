import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server, Socket } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";

/** Debian's OpenSSH server binary (apt-get install openssh-server). */
export const SSHD = "/usr/sbin/sshd";

/** Throws with the install command when sshd or ssh-keygen is missing. */
export function requireSshd(): void {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install -y openssh-server`);
}

/** A client identity: private key file + its public line. */
export interface ClientKey {
  file: string;
  publicLine: string;
}

/** Generates an ed25519 key pair without passphrase in `dir` (ssh-keygen). */
export function makeClientKey(dir: string, name = "id_ed25519"): ClientKey {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "clawbox-test", "-f", file]);
  return { file, publicLine: readFileSync(`${file}.pub`, "utf8").trim() };
}

/** A running sshd on 127.0.0.1 with its own host key and authorized_keys. */
export interface TestSshd {
  port: number;
  dir: string;
  /** The host key's public line ("ssh-ed25519 AAAA… comment"). */
  hostKeyLine: string;
  /** The known_hosts line for this server ("[127.0.0.1]:port ssh-ed25519 AAAA…"). */
  knownHostsLine: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound and released; tiny race accepted in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port (polls every 20 ms). */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = new Socket();
      sock.once("connect", () => {
        sock.destroy();
        resolve(true);
      });
      sock.once("error", () => resolve(false));
      sock.connect(port, "127.0.0.1");
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Starts Debian's sshd (`sshd -D -e -f <config>`) on a free loopback port with a fresh ed25519 host key in
 * `dir`, accepting `authorizedKeys` for the current user (root in CI), public keys only. `maxStartups`
 * raises OpenSSH's concurrent-handshake limit (default 10:30:100) for the 50-host bench.
 */
export async function startSshd(dir: string, authorizedKeys: string[], maxStartups = 200): Promise<TestSshd> {
  requireSshd();
  mkdirSync(join(dir, "home"), { recursive: true });
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // privilege separation directory
  const hostKey = join(dir, "ssh_host_ed25519_key");
  if (!existsSync(hostKey)) execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  writeFileSync(join(dir, "authorized_keys"), `${authorizedKeys.join("\n")}\n`, { mode: 0o600 });
  const port = await freePort();
  const user = userInfo().username;
  const config = [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${hostKey}`,
    "PidFile none",
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "StrictModes no",
    "UsePAM no",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    user === "root" ? "PermitRootLogin prohibit-password" : "",
    `AllowUsers ${user}`,
    `MaxStartups ${maxStartups}:30:${maxStartups * 2}`,
    "MaxSessions 50",
    "UseDNS no",
    "PrintMotd no",
    "LogLevel ERROR",
    // Sessions get their own HOME: the CI machine's root has a heavy ~/.bashrc (pyenv init, ~250 ms per
    // command, measured) that a device's admin account does not have; bash reads $HOME/.bashrc.
    `SetEnv HOME=${join(dir, "home")}`,
    "Subsystem sftp /usr/lib/openssh/sftp-server",
    "",
  ].join("\n");
  const configFile = join(dir, "sshd_config");
  writeFileSync(configFile, config);
  const child = spawn(SSHD, ["-D", "-e", "-f", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  try {
    await Promise.race([
      waitForPort(port),
      exited.then(() => {
        throw new Error(`sshd exited: ${stderr}`);
      }),
    ]);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  const hostKeyLine = readFileSync(`${hostKey}.pub`, "utf8").trim();
  const [type, blob] = hostKeyLine.split(/\s+/);
  return {
    port,
    dir,
    hostKeyLine,
    knownHostsLine: `[127.0.0.1]:${port} ${type} ${blob}`,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * A TCP listener that accepts connections and never says anything: to SSH it looks like a host whose
 * sshd hangs before its banner (or a blackholed path after the SYN) — the client must time out.
 */
export async function startSilentListener(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : 0,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
