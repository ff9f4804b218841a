import { expect } from "vitest";
import { deviceRequest } from "./device-http.js";
import { type SshTarget, ssh } from "./ssh.js";
import { explain } from "./tools.js";

// Checks of a booted clawbox image shared by the amd64 and arm64 boot tests: each runs over SSH as the
// image's `admin` (or against the device's HTTPS port) and fails the calling test with the device's output.

/**
 * Lists user and SELinux label of every process running the device's Node (`ps -C node` finds none: Node
 * 24 names its main thread, hence the process, "MainThread"); `ps` fails when there is none.
 */
export const DEVICE_NODE_PROCESSES =
  "ps -o user=,label= -p \"$(pgrep -d, -f '^/opt/clawbox/node/bin/node ')\"";

/** SELinux enforcing, and every Node process (the agent) runs as `clawbox` in `clawbox_t`. */
export function expectAgentConfined(admin: SshTarget): void {
  const r = ssh(admin, `cat /sys/fs/selinux/enforce; echo; ${DEVICE_NODE_PROCESSES}`);
  expect(r.code, explain(r)).toBe(0);
  const [enforce, ...procs] = r.stdout.trim().split("\n");
  expect(enforce).toBe("1");
  expect(procs.length).toBeGreaterThan(0);
  for (const line of procs) expect(line).toMatch(/^clawbox\s+system_u:system_r:clawbox_t:/);
}

/**
 * systemd starts the agent's own Node binary (entry point clawbox_exec_t) in clawbox_t, as for the agent
 * (an admin shell may not enter clawbox_t with runcon); the probe prints its label and the outcome of
 * reading /etc/shadow to the journal, which must be EACCES.
 */
export function expectShadowDenied(admin: SshTarget): void {
  const script =
    'const fs=require("fs");let r="READ";try{fs.readFileSync("/etc/shadow")}catch(e){r=e.code}' +
    'console.log("PROBE",fs.readFileSync("/proc/self/attr/current","utf8").replace(/\\0/g,""),r)';
  const r = ssh(
    admin,
    "sudo -n systemd-run --quiet --wait --collect --unit=clawbox-shadow-probe -p User=clawbox " +
      `-p SELinuxContext=system_u:system_r:clawbox_t:s0 /opt/clawbox/node/bin/node -e '${script}' && ` +
      "sudo -n journalctl --no-pager -o cat -u clawbox-shadow-probe | grep '^PROBE '",
  );
  expect(r.code, explain(r)).toBe(0);
  const [, label, outcome] = r.stdout.trim().split("\n").at(-1)?.split(" ") ?? [];
  expect(label).toMatch(/^system_u:system_r:clawbox_t:/);
  expect(outcome).toBe("EACCES");
}

/** sshd refuses passwords and root logins, both on the wire and in its effective configuration (`sshd -T`). */
export function expectSshKeysOnly(admin: SshTarget): void {
  const pw = ssh({ ...admin, key: "" }, "true", [
    "PubkeyAuthentication=no",
    "PreferredAuthentications=password,keyboard-interactive",
  ]);
  expect(pw.code).toBe(255);
  expect(pw.stderr).toMatch(/Permission denied \(publickey\)/);
  expect(ssh({ ...admin, user: "root" }, "true").code).toBe(255);
  const cfg = ssh(admin, "sudo -n sshd -T");
  expect(cfg.code, explain(cfg)).toBe(0);
  expect(cfg.stdout).toMatch(/^permitrootlogin no$/m);
  expect(cfg.stdout).toMatch(/^passwordauthentication no$/m);
}

/** nftables is active and its input chain drops by default. */
export function expectFirewallOn(admin: SshTarget): void {
  const r = ssh(admin, "systemctl is-active nftables && sudo -n nft list ruleset");
  expect(r.code, explain(r)).toBe(0);
  expect(r.stdout).toMatch(/^active$/m);
  expect(r.stdout).toMatch(/hook input priority filter; policy drop;/);
}

/**
 * Loads `modelPath` (a GGUF on the device) through the admin API and asks the OpenAI-compatible endpoint
 * for a short completion (24 tokens, seed 1). Returns the answer text, which must not be empty. Waits up
 * to 5 min per request (model load and generation under TCG).
 */
export async function expectChatAnswer(base: string, token: string, modelPath: string): Promise<string> {
  const auth = { authorization: `Bearer ${token}` };
  const load = await deviceRequest(`${base}/admin/model`, {
    headers: auth,
    body: { model: modelPath },
    timeoutMs: 300_000,
  });
  expect(load.status, load.body).toBe(200);
  const chat = await deviceRequest(`${base}/v1/chat/completions`, {
    headers: auth,
    body: { messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 24, seed: 1 },
    timeoutMs: 300_000,
  });
  expect(chat.status, chat.body).toBe(200);
  const choices = (JSON.parse(chat.body) as { choices: { message: { content: string } }[] }).choices;
  const answer = choices[0]?.message.content ?? "";
  expect(answer.trim().length).toBeGreaterThan(0);
  return answer;
}

/**
 * Secrets at rest on the device: first boot made the device-key credential with systemd-creds (root 0600,
 * never in clear), systemd hands it to the agent (the agent logs where its key came from), the data dir
 * holds only the data key wrapped by it — no `device-key` in clear — and root's CLI opens the sealed API
 * token through `systemd-creds decrypt` (as the fleet playbooks do), while the agent's user may not.
 */
export function expectDeviceKeyCredential(admin: SshTarget): void {
  const cli = "/opt/clawbox/node/bin/node --jitless /opt/clawbox/current/agent/dist/cli/main.js";
  const r = ssh(
    admin,
    "sudo -n stat -c '%a %U' /etc/credstore.encrypted/clawbox-device-key; echo ---; " +
      "sudo -n ls /var/lib/clawbox; echo ---; " +
      // the agent logs JSON to the journal: {"level":30,…,"source":"systemd-creds","msg":"device key for secrets at rest"}
      "sudo -n journalctl --no-pager -o cat -u clawbox-agent | grep 'device key for secrets at rest' | " +
      'grep -c \'"source":"systemd-creds"\'; echo ---; ' +
      `sudo -n ${cli} token --data-dir /var/lib/clawbox | wc -c; echo ---; ` +
      `sudo -n -u clawbox ${cli} token --data-dir /var/lib/clawbox 2>&1; echo "exit $?"`,
  );
  expect(r.code, explain(r)).toBe(0);
  const [cred, files, logged, tokenChars, asAgentUser] = r.stdout.split("---\n").map((s) => s.trim());
  expect(cred).toBe("600 root");
  expect(files?.split("\n")).toContain("data-key");
  expect(files?.split("\n")).not.toContain("device-key");
  expect(Number(logged)).toBeGreaterThan(0);
  expect(Number(tokenChars)).toBeGreaterThan(20);
  expect(asAgentUser).toMatch(/only root can decrypt[\s\S]*exit 1/);
}
