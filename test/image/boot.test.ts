import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeviceResponse, deviceRequest, waitForDevice } from "./device-http.js";
import { bootVm, type Vm } from "./qemu-vm.js";
import { type SshTarget, scp, ssh } from "./ssh.js";
import { ensureTestImage, TEST_KEY } from "./test-image.js";
import { explain, requireFile, requireTool } from "./tools.js";

// Builds (when missing) and boots the Debian 12 test image in QEMU (TCG), completes setup through the
// setup API, chats with the booted device and checks the running system over SSH as `admin`.
// Minutes of work: only with CLAWBOX_IMAGE_TEST=1. Not yet in .ci/run: Lynis alone runs > 15 min under TCG.

const ENABLED = process.env.CLAWBOX_IMAGE_TEST === "1";
if (!ENABLED) {
  console.log(
    "test/image/boot.test.ts: skipped — set CLAWBOX_IMAGE_TEST=1 to build the Debian 12 test image " +
      "(root, debootstrap, ansible) and boot it in QEMU (qemu-system-x86, ovmf, lynis on the host).",
  );
}

/** Exposure ceiling for `systemd-analyze security` (issue 5). */
const MAX_EXPOSURE = 1.5;
/** Patience under TCG emulation on 2 shared cores (measured first boot to banner: see image/README.md). */
const BOOT_TIMEOUT_MS = 12 * 60_000;
const STORY_MODEL = "/var/lib/clawbox/models/stories260K.gguf";

describe.skipIf(!ENABLED)("the Debian 12 test image booted in QEMU", () => {
  let vm: Vm;
  let admin: SshTarget;
  let base: string;
  let setupCode: string;
  let fingerprint: string;
  let token = "";
  const tmp = mkdtempSync(join(tmpdir(), "clawbox-boot-test-"));

  beforeAll(async () => {
    requireTool("qemu-system-x86_64", "qemu-system-x86");
    requireTool("qemu-img", "qemu-utils");
    requireFile("/usr/share/OVMF/OVMF_CODE_4M.fd", "ovmf");
    requireTool("ssh", "openssh-client");
    const image = await ensureTestImage();
    vm = await bootVm({ image: image.raw, diskBytes: 6 * 1024 ** 3, memoryMiB: 2048, cpus: 2 });
    admin = { port: vm.ports.ssh, user: "admin", key: TEST_KEY };
    base = `https://127.0.0.1:${vm.ports.https}`;
    // The firstboot banner on the serial console (image/libexec/console via agetty's /etc/issue.d).
    const banner = await vm.waitForSerial(
      /Setup code:\s+([A-Z0-9]{4}-[A-Z0-9]{4})[\s\S]*?fingerprint:\s+([0-9A-F:]{47})\s+([0-9A-F:]{47})/,
      BOOT_TIMEOUT_MS,
    );
    setupCode = banner[1] as string;
    fingerprint = `${banner[2]}:${banner[3]}`;
  }, 45 * 60_000);

  afterAll(async () => {
    if (vm) {
      writeFileSync(join(tmpdir(), "clawbox-boot-serial.log"), vm.serial());
      await vm.stop();
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  const setup = (path: string, body: unknown) =>
    deviceRequest(`${base}${path}`, { body, headers: { "x-setup-code": setupCode } });
  const json = (r: DeviceResponse) => JSON.parse(r.body) as Record<string, unknown>;

  it(
    "serves the wizard over HTTPS with the certificate the console shows",
    async () => {
      const r = await waitForDevice(`${base}/api/setup`, (x) => x.status === 200, 5 * 60_000);
      expect(json(r).state).toBe("unconfigured");
      expect(r.fingerprint256).toBe(fingerprint);
      // Plain HTTP from the network is redirected to HTTPS.
      const plain = await deviceRequest(`http://127.0.0.1:${vm.ports.http}/api/setup`);
      expect([301, 308]).toContain(plain.status);
    },
    6 * 60_000,
  );

  it(
    "completes setup through the setup API with the code from the console",
    async () => {
      expect((await setup("/api/setup/welcome", { language: "en" })).status).toBe(200);
      const a = await setup("/api/setup/admin", { username: "owner", password: "purple-tractor-sings-42" });
      expect(a.status, a.body).toBe(200);
      const d = await setup("/api/setup/device", { name: "clawbox-qemu", timezone: "UTC" });
      expect(d.status, d.body).toBe(200);
      const t = await deviceRequest(`${base}/api/setup/api-token`, {
        headers: { "x-setup-code": setupCode },
      });
      expect(t.status, t.body).toBe(200);
      token = String(json(t).token);
      expect(token.length).toBeGreaterThan(20);
      for (const step of ["network", "model", "download", "messaging", "remote"]) {
        const s = await setup("/api/setup/skip", { step });
        expect(s.status, `${step}: ${s.body}`).toBe(200);
      }
      const f = await setup("/api/setup/finish", {});
      expect(f.status, f.body).toBe(200);
      expect(json(f).state).toBe("configured");
      // The setup code is spent: the guarded routes now answer 410.
      expect((await setup("/api/setup/welcome", { language: "en" })).status).toBe(410);
    },
    5 * 60_000,
  );

  it(
    "answers a chat request with the pre-seeded model",
    async () => {
      const auth = { authorization: `Bearer ${token}` };
      const load = await deviceRequest(`${base}/admin/model`, {
        headers: auth,
        body: { model: STORY_MODEL },
        timeoutMs: 300_000,
      });
      expect(load.status, load.body).toBe(200);
      const chat = await deviceRequest(`${base}/v1/chat/completions`, {
        headers: auth,
        body: { messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 24, seed: 1 },
        timeoutMs: 300_000,
      });
      expect(chat.status, chat.body).toBe(200);
      const answer = (json(chat).choices as { message: { content: string } }[])[0]?.message.content ?? "";
      expect(answer.trim().length).toBeGreaterThan(0);
    },
    11 * 60_000,
  );

  it("runs the agent as clawbox in clawbox_t with SELinux enforcing", () => {
    const r = ssh(admin, "cat /sys/fs/selinux/enforce; echo; ps -C node -o user=,label=");
    expect(r.code, explain(r)).toBe(0);
    const [enforce, ...procs] = r.stdout.trim().split("\n");
    expect(enforce).toBe("1");
    expect(procs.length).toBeGreaterThan(0);
    for (const line of procs) expect(line).toMatch(/^clawbox\s+system_u:system_r:clawbox_t:/);
  });

  it("denies clawbox_t reading /etc/shadow", () => {
    // systemd starts the agent's own Node binary (entry point clawbox_exec_t) in clawbox_t, as for the
    // agent (an admin shell may not enter clawbox_t with runcon); the probe prints its label and the
    // outcome of reading /etc/shadow to the journal.
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
  });

  it("sshd refuses passwords and root", () => {
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
  });

  it("has nftables active with a default-deny input chain", () => {
    const r = ssh(admin, "systemctl is-active nftables && sudo -n nft list ruleset");
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(/^active$/m);
    expect(r.stdout).toMatch(/hook input priority filter; policy drop;/);
  });

  it("mounts /tmp noexec", () => {
    const r = ssh(admin, "findmnt -no FSTYPE,OPTIONS /tmp");
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(/^tmpfs\s/);
    expect(r.stdout.split(/[\s,]/)).toContain("noexec");
  });

  it(`scores the agent unit ≤ ${MAX_EXPOSURE} with systemd-analyze security`, () => {
    const r = ssh(admin, "systemd-analyze security --no-pager clawbox-agent.service");
    const m = r.stdout.match(/Overall exposure level for clawbox-agent\.service:\s*([\d.]+)/);
    expect(m, explain(r)).not.toBeNull();
    const exposure = Number(m?.[1]);
    console.log(`systemd-analyze security clawbox-agent.service: ${exposure}`);
    expect(exposure).toBeLessThanOrEqual(MAX_EXPOSURE);
  });

  it(
    "reports the Lynis hardening index (the host's lynis, copied to the device)",
    () => {
      requireTool("lynis", "lynis");
      const dir = join(tmp, "lynis");
      cpSync("/usr/share/lynis", dir, { recursive: true });
      cpSync("/usr/sbin/lynis", join(dir, "lynis"));
      cpSync("/etc/lynis/default.prf", join(dir, "default.prf"));
      cpSync("/etc/lynis/plugins", join(dir, "plugins"), { recursive: true });
      const up = scp(admin, [dir], "/home/admin/");
      expect(up.code, explain(up)).toBe(0);
      const r = ssh(
        admin,
        "sudo -n chown -R root:root /home/admin/lynis && cd /home/admin/lynis && " +
          "sudo -n sh ./lynis audit system --quick --no-colors --profile ./default.prf >/dev/null 2>&1; " +
          "sudo -n grep -E '^(hardening_index|warning\\[\\])=' /var/log/lynis-report.dat; " +
          "sudo -n rm -rf /home/admin/lynis",
        [],
        40 * 60_000,
      );
      const index = r.stdout.match(/^hardening_index=(\d+)$/m);
      expect(index, explain(r)).not.toBeNull();
      const warnings = r.stdout.split("\n").filter((l) => l.startsWith("warning[]="));
      console.log(`Lynis hardening index: ${index?.[1]} (goal ≥ 80); warnings:\n${warnings.join("\n")}`);
      expect(Number(index?.[1])).toBeGreaterThan(0);
      // Lynis forks for every binary it inspects: under TCG it ran over 15 min (measured) and was cut off.
    },
    41 * 60_000,
  );
});
