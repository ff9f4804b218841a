import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const NGIRCD = "/usr/sbin/ngircd";

/** A real ngIRCd (Debian package `ngircd`) on a loopback port, plus an RFC 1413 ident responder. */
export interface TestIrcd {
  port: number;
  /** The user name the ident responder reports for the next connection; "" = no answer (user gets "~"). */
  setNextIdent(user: string): void;
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
 * Starts ngIRCd in the foreground (`-n`) with a config in a temp dir. ngIRCd has no services and no SASL,
 * so the only server-verified identity it offers is the ident user name (shown without "~"); the test
 * answers ident queries itself on 127.0.0.1:113 (needs root, as in CI). Throws when ngircd is missing
 * (`apt-get install ngircd`) or does not come up within 10 s.
 */
export async function startNgircd(): Promise<TestIrcd> {
  if (spawnSync(NGIRCD, ["--version"]).status !== 0) {
    throw new Error(`${NGIRCD} not found: apt-get install -y ngircd`);
  }
  const dir = mkdtempSync(join(tmpdir(), "clawbox-ngircd-"));
  const port = await freePort();
  const conf = join(dir, "ngircd.conf");
  writeFileSync(
    conf,
    [
      "[Global]",
      "Name = irc.clawbox.test",
      "Info = clawbox test server",
      "Listen = 127.0.0.1",
      `Ports = ${port}`,
      `PidFile = ${join(dir, "ngircd.pid")}`,
      "MotdPhrase = test",
      "ServerUID = nobody",
      "[Limits]",
      "MaxNickLength = 30",
      "[Options]",
      // Ident lookups run in ngIRCd's resolver, which only runs with DNS enabled.
      "Ident = yes",
      "DNS = yes",
      "PAM = no",
      "",
    ].join("\n"),
  );
  let nextIdent = "";
  const identd: Server = createServer((s: Socket) => {
    s.on("error", () => {});
    s.once("data", (d) => {
      const q = String(d).trim();
      s.end(nextIdent ? `${q} : USERID : UNIX : ${nextIdent}\r\n` : `${q} : ERROR : NO-USER\r\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    identd.once("error", reject);
    identd.listen(113, "127.0.0.1", () => resolve());
  });
  const child: ChildProcess = spawn(NGIRCD, ["-n", "-f", conf], { stdio: ["ignore", "pipe", "pipe"] });
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
      identd.close();
      throw new Error(`ngircd did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    setNextIdent: (user) => {
      nextIdent = user;
    },
    stop: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      await new Promise((r) => identd.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
