import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../support/test-model.js";
import {
  expectAgentConfined,
  expectChatAnswer,
  expectDeviceKeyCredential,
  expectFirewallOn,
  expectShadowDenied,
  expectSshKeysOnly,
} from "./device-checks.js";
import { type DeviceResponse, deviceRequest, waitForDevice } from "./device-http.js";
import { type PiBootPartition, readPiBootPartition, virtCommandLine } from "./pi-boot-partition.js";
import { AAVMF_CODE, bootVm, type Vm } from "./qemu-vm.js";
import type { SshTarget } from "./ssh.js";
import { ensureTestImage, TEST_KEY } from "./test-image.js";
import { requireFile, requireTool } from "./tools.js";

// Builds (when missing or stale) the Debian 12 Raspberry Pi image (flavour rpi, arm64) and boots its root
// filesystem in qemu-system-aarch64 (`virt`, Cortex-A72, TCG, UEFI from qemu-efi-aarch64). A Pi's firmware
// cannot run on `virt`, so the UEFI firmware starts the kernel and initrd that config.txt names, from the
// image's FAT boot partition, with cmdline.txt's command line (serial0 → ttyAMA0, which the Pi firmware
// does itself): the boot files a Pi would use, with no extra boot loader in the image. Then setup through
// the setup API, a chat answer, SELinux, sshd and nftables as in the amd64 boot test.
// Opt-in: CLAWBOX_ARM64_IMAGE_TEST=1 (time measured: image/README.md).

const ENABLED = process.env.CLAWBOX_ARM64_IMAGE_TEST === "1";
if (!ENABLED) {
  console.log(
    "test/image/boot-arm64.test.ts: skipped — set CLAWBOX_ARM64_IMAGE_TEST=1 to build the Raspberry Pi " +
      "image (root, debootstrap through qemu-user-static) and boot it in qemu-system-aarch64 under TCG. " +
      "Not in CI: building the Pi image takes ≈25 min cold on the 2-core CI machine (18 min with the base " +
      "system cached; measured: image/README.md) and its boot under TCG comes on top, which beside the " +
      "20-minute amd64 boot test is beyond the 40-minute CI budget.",
  );
}

/** Patience for the first boot under TCG emulating arm64 on 2 shared cores (measured: image/README.md). */
const BOOT_TIMEOUT_MS = 30 * 60_000;
/** The device name the wizard's device step sets. */
const DEVICE_NAME = "clawbox-pi-qemu";

describe.skipIf(!ENABLED)("the Debian 12 Raspberry Pi image booted in qemu-system-aarch64", () => {
  let vm: Vm;
  let admin: SshTarget;
  let base: string;
  let setupCode: string;
  let fingerprint: string;
  let boot: PiBootPartition;
  let token = "";
  let modelFile = "";
  const tmp = mkdtempSync(join(tmpdir(), "clawbox-boot-arm64-"));
  const times: Record<string, number> = {};

  beforeAll(async () => {
    requireTool("qemu-system-aarch64", "qemu-system-arm");
    requireTool("qemu-img", "qemu-utils");
    requireFile(AAVMF_CODE, "qemu-efi-aarch64");
    requireTool("mtype", "mtools");
    requireTool("ssh", "openssh-client");
    modelFile = basename(await testModelPath());
    let t = Date.now();
    const image = await ensureTestImage("rpi");
    times.build = Date.now() - t;
    if (!image.built) times.build = 0;
    boot = readPiBootPartition(image.raw, tmp);
    t = Date.now();
    vm = await bootVm({
      image: image.raw,
      diskBytes: 6 * 1024 ** 3,
      memoryMiB: 2048,
      cpus: 2,
      arch: "aarch64",
      directKernel: { kernel: boot.kernel, initrd: boot.initrd, append: virtCommandLine(boot.cmdlineTxt) },
    });
    admin = { port: vm.ports.ssh, user: "admin", key: TEST_KEY };
    base = `https://127.0.0.1:${vm.ports.https}`;
    const banner = await vm.waitForSerial(
      /Setup code:\s+([A-Z0-9]{4}-[A-Z0-9]{4})[\s\S]*?fingerprint:\s+([0-9A-F:]{47})\s+([0-9A-F:]{47})/,
      BOOT_TIMEOUT_MS,
    );
    times.bootToBanner = Date.now() - t;
    setupCode = banner[1] as string;
    fingerprint = `${banner[2]}:${banner[3]}`;
  }, 240 * 60_000);

  afterAll(async () => {
    const min = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 60_000).toFixed(1)} min`);
    console.log(
      `arm64 image: build ${times.build ? min(times.build) : "cached"}, boot to banner ${min(times.bootToBanner)}, ` +
        `banner to configured ${min(times.setup)}, chat ${min(times.chat)}`,
    );
    if (vm) {
      writeFileSync(join(tmpdir(), "clawbox-boot-arm64-serial.log"), vm.serial());
      await vm.stop();
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  const setup = (path: string, body: unknown) =>
    deviceRequest(`${base}${path}`, { body, headers: { "x-setup-code": setupCode } });
  const json = (r: DeviceResponse) => JSON.parse(r.body) as Record<string, unknown>;

  it("carries a Raspberry Pi boot partition: firmware, Pi 4 device tree, config.txt and cmdline.txt", () => {
    for (const f of ["start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb", "config.txt", "cmdline.txt"]) {
      expect(boot.files, f).toContain(f);
    }
    expect(boot.configTxt).toMatch(/^arm_64bit=1$/m);
    expect(boot.configTxt).toMatch(/^kernel=vmlinuz-\S+-arm64$/m);
    expect(boot.configTxt).toMatch(/^initramfs initrd\.img-\S+-arm64/m);
    expect(boot.configTxt).toMatch(/^dtparam=watchdog=on$/m);
    const args = boot.cmdlineTxt.split(/\s+/);
    expect(args).toEqual(
      expect.arrayContaining([
        "rootfstype=ext4",
        "rootwait",
        "security=selinux",
        "selinux=1",
        "console=serial0,115200",
        "console=tty1",
      ]),
    );
    expect(args.find((a) => a.startsWith("root="))).toMatch(/^root=UUID=[0-9a-f-]{36}$/);
  });

  it(
    "serves the wizard over HTTPS with the certificate the console shows",
    async () => {
      const r = await waitForDevice(`${base}/api/setup`, (x) => x.status === 200, 15 * 60_000);
      expect(json(r).state).toBe("unconfigured");
      expect(r.fingerprint256).toBe(fingerprint);
    },
    16 * 60_000,
  );

  it(
    "completes setup through the setup API with the code from the console",
    async () => {
      const t = Date.now();
      expect((await setup("/api/setup/welcome", { language: "en" })).status).toBe(200);
      const a = await setup("/api/setup/admin", { username: "owner", password: "purple-tractor-sings-42" });
      expect(a.status, a.body).toBe(200);
      const d = await setup("/api/setup/device", { name: DEVICE_NAME, timezone: "UTC" });
      expect(d.status, d.body).toBe(200);
      const k = await deviceRequest(`${base}/api/setup/api-token`, {
        headers: { "x-setup-code": setupCode },
      });
      expect(k.status, k.body).toBe(200);
      token = String(json(k).token);
      for (const step of ["network", "model", "download", "messaging", "remote"]) {
        const s = await setup("/api/setup/skip", { step });
        expect(s.status, `${step}: ${s.body}`).toBe(200);
      }
      const f = await setup("/api/setup/finish", {});
      expect(f.status, f.body).toBe(200);
      expect(json(f).state).toBe("configured");
      times.setup = Date.now() - t;
    },
    10 * 60_000,
  );

  it(
    "answers a chat request with the pre-seeded model",
    async () => {
      const t = Date.now();
      await expectChatAnswer(base, token, `/var/lib/clawbox/models/${modelFile}`);
      times.chat = Date.now() - t;
    },
    11 * 60_000,
  );

  it("runs the agent as clawbox in clawbox_t with SELinux enforcing", () => expectAgentConfined(admin));

  it("denies clawbox_t reading /etc/shadow", () => expectShadowDenied(admin));

  it("keeps the device key a systemd credential: no key in clear in the data dir", () =>
    expectDeviceKeyCredential(admin));

  it("sshd refuses passwords and root", () => expectSshKeysOnly(admin));

  it("has nftables active with a default-deny input chain", () => expectFirewallOn(admin));
});
