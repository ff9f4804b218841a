import { type RunResult, run } from "./tools.js";

/** Where and as whom to log in: a forwarded port on 127.0.0.1 and a private key file. */
export interface SshTarget {
  port: number;
  user: string;
  /** Private key file (mode 0600); empty = no key (for the password-refusal check). */
  key: string;
}

/**
 * Runs `command` (a shell command line on the device) with the OpenSSH client: batch mode, no host-key
 * checks (the VM's host keys are new on every first boot), 20 s connect timeout, `timeoutMs` overall
 * (default 5 min). Extra `-o` options (e.g. PubkeyAuthentication=no) come in `options`. Never throws for
 * a failed login or command: the exit code is 255 for ssh's own failures, the command's otherwise.
 */
export function ssh(
  target: SshTarget,
  command: string,
  options: string[] = [],
  timeoutMs = 300_000,
): RunResult {
  const args = [
    "-p",
    String(target.port),
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ConnectTimeout=20",
    "-o",
    "IdentitiesOnly=yes",
    ...options.flatMap((o) => ["-o", o]),
    ...(target.key ? ["-i", target.key] : []),
    `${target.user}@127.0.0.1`,
    command,
  ];
  return run("ssh", args, { timeoutMs });
}

/** Copies local `files` to `dest` on the device with scp (same options as ssh()). */
export function scp(target: SshTarget, files: string[], dest: string, timeoutMs = 300_000): RunResult {
  return run(
    "scp",
    [
      "-r",
      "-P",
      String(target.port),
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "LogLevel=ERROR",
      "-o",
      "IdentitiesOnly=yes",
      "-i",
      target.key,
      ...files,
      `${target.user}@127.0.0.1:${dest}`,
    ],
    { timeoutMs },
  );
}
