import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { type AnyAuthMethod, Client, type ConnectConfig, type ServerHostKeyAlgorithm } from "ssh2";
import { type KnownHosts, keyTypeOfBlob } from "./known-hosts.js";

/** Where and as whom to connect. */
export interface SshTarget {
  address: string;
  port: number;
  user: string;
  /** Private key file (like `ansible_ssh_private_key_file`); absent = the agent, then ~/.ssh/id_{ed25519,ecdsa,rsa}. */
  keyFile?: string;
}

/** Why a remote command did not run to completion. */
export type SshFailure =
  | "unreachable"
  | "connect-timeout"
  | "host-key-unknown"
  | "host-key-changed"
  | "host-key-revoked"
  | "auth-failed"
  | "command-timeout"
  | "ssh-error";

/** Result of {@link sshExec}: the command's output and exit code, or why it failed, plus timings (ms). */
export type SshExecResult =
  | { ok: true; stdout: string; stderr: string; exitCode: number | null; connectMs: number; totalMs: number }
  | { ok: false; failure: SshFailure; reason: string; totalMs: number };

export interface SshExecOptions {
  knownHosts: KnownHosts;
  /** Append unknown host keys instead of refusing them (a changed key is still refused). */
  acceptNew?: boolean;
  /** TCP connect + SSH handshake + authentication limit, ms (OpenSSH's ConnectTimeout; default 5,000). */
  connectTimeoutMs?: number;
  /** Limit for the command after login, ms (default 15,000). */
  commandTimeoutMs?: number;
  /** ssh-agent socket (default `$SSH_AUTH_SOCK`). */
  agentSocket?: string;
  /** Cap on stdout+stderr kept, bytes (default 1 MiB): a runaway command cannot exhaust memory. */
  maxOutputBytes?: number;
}

/** OpenSSH's default identity files, in the order ssh(1) tries them. */
const DEFAULT_KEYS = ["id_ed25519", "id_ecdsa", "id_rsa"];

/**
 * Runs one command on a host over SSH (ssh2) and never hangs: the connect phase (TCP, handshake,
 * host key, authentication) and the command each have their own timeout, after which the socket is
 * destroyed. Host keys are checked against `opts.knownHosts` like OpenSSH's StrictHostKeyChecking
 * (`accept-new` when `opts.acceptNew`). Authentication follows Ansible/OpenSSH: the ssh-agent
 * (`SSH_AUTH_SOCK`), then the key file (`keyFile`, else the default identities). Never throws.
 */
export function sshExec(target: SshTarget, command: string, opts: SshExecOptions): Promise<SshExecResult> {
  const t0 = performance.now();
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
  const commandTimeoutMs = opts.commandTimeoutMs ?? 15_000;
  const maxOutput = opts.maxOutputBytes ?? 1024 * 1024;
  return new Promise((resolve) => {
    const client = new Client();
    let settled = false;
    let hostKeyFailure: { failure: SshFailure; reason: string } | null = null;
    let connectMs = 0;
    const finish = (result: SshExecResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.removeAllListeners("error");
      client.on("error", () => {});
      client.destroy();
      resolve(result);
    };
    const fail = (failure: SshFailure, reason: string): void =>
      finish({ ok: false, failure, reason, totalMs: performance.now() - t0 });
    let timer = setTimeout(
      () => fail("connect-timeout", `no SSH session within ${connectTimeoutMs} ms`),
      connectTimeoutMs,
    );

    const auth = authMethods(target, opts.agentSocket ?? process.env.SSH_AUTH_SOCK);
    if (auth.length === 0) {
      fail("auth-failed", "no ssh-agent (SSH_AUTH_SOCK) and no readable private key");
      return;
    }
    const preferred = opts.knownHosts.knownKeyTypes(target.address, target.port);
    const config: ConnectConfig = {
      host: target.address,
      port: target.port,
      username: target.user,
      readyTimeout: connectTimeoutMs + 1_000,
      authHandler: auth,
      hostVerifier: (key: Buffer): boolean => {
        const verdict = opts.knownHosts.check(target.address, target.port, key);
        if (verdict === "match") return true;
        if (verdict === "unknown" && opts.acceptNew) {
          opts.knownHosts.add(target.address, target.port, key);
          return true;
        }
        hostKeyFailure =
          verdict === "unknown"
            ? {
                failure: "host-key-unknown",
                reason: `unknown ${keyTypeOfBlob(key)} host key (not in ${opts.knownHosts.file}; --accept-new adds it)`,
              }
            : verdict === "revoked"
              ? { failure: "host-key-revoked", reason: "the host key is marked @revoked" }
              : {
                  failure: "host-key-changed",
                  reason: `HOST KEY CHANGED: the ${keyTypeOfBlob(key)} key differs from ${opts.knownHosts.file} (possible man-in-the-middle; remove the old line with ssh-keygen -R if the device was reinstalled)`,
                };
        return false;
      },
      ...(preferred.length > 0 ? { algorithms: { serverHostKey: preferHostKeys(preferred) } } : {}),
    };

    client.on("error", (err: Error & { level?: string; code?: string }) => {
      if (hostKeyFailure) return fail(hostKeyFailure.failure, hostKeyFailure.reason);
      if (err.level === "client-authentication")
        return fail("auth-failed", `${target.user}@${target.address} refused every key offered`);
      if (err.level === "client-timeout") return fail("connect-timeout", err.message);
      if (err.level === "client-socket" || err.code)
        return fail("unreachable", `${err.code ?? "socket error"}: ${err.message}`);
      return fail("ssh-error", err.message);
    });
    client.on("close", () => {
      if (hostKeyFailure) fail(hostKeyFailure.failure, hostKeyFailure.reason);
      else fail("unreachable", "connection closed before the command finished");
    });
    client.on("ready", () => {
      connectMs = performance.now() - t0;
      clearTimeout(timer);
      timer = setTimeout(
        () => fail("command-timeout", `\`${command}\` did not finish within ${commandTimeoutMs} ms`),
        commandTimeoutMs,
      );
      client.exec(command, (err, stream) => {
        if (err) return fail("ssh-error", `exec refused: ${err.message}`);
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let size = 0;
        const keep = (list: Buffer[]) => (d: Buffer) => {
          size += d.length;
          if (size <= maxOutput) list.push(d);
        };
        stream.on("data", keep(out));
        stream.stderr.on("data", keep(errOut));
        let exitCode: number | null = null;
        stream.on("exit", (code: number | null) => {
          exitCode = code;
        });
        stream.on("close", () =>
          finish({
            ok: true,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(errOut).toString("utf8"),
            exitCode,
            connectMs,
            totalMs: performance.now() - t0,
          }),
        );
      });
    });
    try {
      client.connect(config);
    } catch (err) {
      fail("ssh-error", (err as Error).message);
    }
  });
}

/** Auth attempts in Ansible/OpenSSH order: agent, then the configured key or the default identities. */
function authMethods(target: SshTarget, agentSocket: string | undefined): AnyAuthMethod[] {
  const out: AnyAuthMethod[] = [];
  if (agentSocket && existsSync(agentSocket))
    out.push({ type: "agent", username: target.user, agent: agentSocket });
  const files = target.keyFile ? [target.keyFile] : DEFAULT_KEYS.map((k) => join(homedir(), ".ssh", k));
  for (const f of files) {
    try {
      out.push({ type: "publickey", username: target.user, key: readFileSync(f) });
    } catch {
      // missing or unreadable: like ssh(1), try the next identity
    }
  }
  return out;
}

/** ssh2's host key algorithms with the known types (and their RSA SHA-2 variants) first. */
function preferHostKeys(known: string[]): ServerHostKeyAlgorithm[] {
  const all: ServerHostKeyAlgorithm[] = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
  ];
  const expand = (t: string) => (t === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [t]);
  const first = known
    .flatMap(expand)
    .filter((t): t is ServerHostKeyAlgorithm => (all as string[]).includes(t));
  return [...new Set([...first, ...all])];
}
