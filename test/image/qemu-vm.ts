import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./tools.js";

/** OVMF firmware from Debian's `ovmf` package (4 MiB flash layout: code read-only, a private copy of vars). */
export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";
/** UEFI for QEMU's arm64 `virt` machine from Debian's `qemu-efi-aarch64` (two 64 MiB flash images). */
export const AAVMF_CODE = "/usr/share/AAVMF/AAVMF_CODE.fd";
export const AAVMF_VARS = "/usr/share/AAVMF/AAVMF_VARS.fd";

/** Guest ports forwarded to 127.0.0.1 (host port chosen free at boot). */
export interface VmPorts {
  ssh: number;
  http: number;
  https: number;
}

export interface VmOptions {
  /** Raw disk image; never written (the VM writes to a qcow2 overlay in its temp dir). */
  image: string;
  /** Virtual disk size of the overlay in bytes (bigger than the image, so first boot grows the root). */
  diskBytes: number;
  /** Guest RAM in MiB. */
  memoryMiB: number;
  /** Virtual CPUs (TCG runs one host thread per vCPU). */
  cpus: number;
  /** Runs on the fresh qcow2 overlay before the first start (e.g. esp-file.ts writes a seed onto the ESP). */
  prepareDisk?: (overlay: string) => void;
  /**
   * Guest architecture. x86_64 (default): q35 + OVMF, booting the disk's EFI system partition.
   * aarch64: `virt` with a Cortex-A72 (the Raspberry Pi 4's core, so a binary built past it fails here as
   * on the Pi) + AAVMF.
   */
  arch?: "x86_64" | "aarch64";
  /**
   * Kernel, initrd (host files) and command line handed to the UEFI firmware through QEMU's fw_cfg
   * instead of a boot loader on the disk (the Raspberry Pi image has none: its firmware reads config.txt).
   */
  directKernel?: { kernel: string; initrd: string; append: string };
}

/** A running QEMU guest. `stop()` kills QEMU and removes its temp dir; call it in afterAll. */
export interface Vm {
  ports: VmPorts;
  /** Everything the guest wrote to its serial console (ttyS0) so far. */
  serial(): string;
  /** Resolves with the first match of `re` in the serial log; rejects after `timeoutMs` or when QEMU exits. */
  waitForSerial(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /**
   * Waits up to `timeoutMs` for QEMU to exit (the guest powered off), then boots the same disk, firmware
   * variables and ports again; serial() then shows the new boot only. Rejects when QEMU does not exit.
   */
  bootAgain(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound then released; the small race is acceptable for a test VM). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Boots `opts.image` with qemu-system-x86_64 (q35, OVMF) or qemu-system-aarch64 (virt, Cortex-A72, AAVMF)
 * under TCG (no KVM on CI machines): UEFI, virtio disk (qcow2 overlay of the raw image) and virtio-net with
 * user-mode networking whose guest ports 22, 80 and 443 are forwarded to free ports on 127.0.0.1. The
 * serial console (ttyS0 / ttyAMA0) goes to a file read by serial().
 * Throws when qemu-img cannot create the overlay (its output in the message).
 */
export async function bootVm(opts: VmOptions): Promise<Vm> {
  const dir = mkdtempSync(join(tmpdir(), "clawbox-vm-"));
  const overlay = join(dir, "disk.qcow2");
  const vars = join(dir, "UEFI_VARS.fd");
  let boots = 0;
  let serialLog = join(dir, "serial.log");
  const img = run("qemu-img", [
    "create",
    "-q",
    "-f",
    "qcow2",
    "-F",
    "raw",
    "-b",
    opts.image,
    overlay,
    String(opts.diskBytes),
  ]);
  if (img.code !== 0) throw new Error(`qemu-img create failed: ${img.stderr}`);
  opts.prepareDisk?.(overlay);
  const arm = opts.arch === "aarch64";
  copyFileSync(arm ? AAVMF_VARS : OVMF_VARS, vars);
  const ports: VmPorts = { ssh: await freePort(), http: await freePort(), https: await freePort() };
  const fwd = [
    `tcp:127.0.0.1:${ports.ssh}-:22`,
    `tcp:127.0.0.1:${ports.http}-:80`,
    `tcp:127.0.0.1:${ports.https}-:443`,
  ];
  const args = [
    "-accel",
    "tcg",
    "-machine",
    arm ? "virt" : "q35",
    "-cpu",
    arm ? "cortex-a72" : "max",
    "-smp",
    String(opts.cpus),
    "-m",
    String(opts.memoryMiB),
    "-drive",
    `if=pflash,format=raw,readonly=on,file=${arm ? AAVMF_CODE : OVMF_CODE}`,
    "-drive",
    `if=pflash,format=raw,file=${vars}`,
    "-drive",
    `file=${overlay},if=virtio,format=qcow2,cache=unsafe`,
    "-netdev",
    `user,id=n0,${fwd.map((f) => `hostfwd=${f}`).join(",")}`,
    "-device",
    "virtio-net-pci,netdev=n0",
    "-device",
    "virtio-rng-pci",
    "-display",
    "none",
    "-serial",
    `file:${serialLog}`,
    "-no-reboot",
  ];
  const k = opts.directKernel;
  if (k) args.push("-kernel", k.kernel, "-initrd", k.initrd, "-append", k.append);
  let qemu: ChildProcess;
  let exited: string | null = null;
  const start = () => {
    boots += 1;
    serialLog = join(dir, `serial-${boots}.log`);
    const serialArgs = args.map((a) => (a.startsWith("file:") ? `file:${serialLog}` : a));
    exited = null;
    let stderr = "";
    qemu = spawn(arm ? "qemu-system-aarch64" : "qemu-system-x86_64", serialArgs, {
      stdio: ["ignore", "ignore", "pipe"],
    });
    qemu.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    qemu.on("exit", (code, signal) => {
      exited = `qemu exited (code ${code}, signal ${signal}): ${stderr.trim()}`;
    });
  };
  start();
  const serial = () => (existsSync(serialLog) ? readFileSync(serialLog, "utf8") : "");
  return {
    ports,
    serial,
    async waitForSerial(re, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = serial().match(re);
        if (m) return m;
        if (exited) throw new Error(`${exited}\n--- serial tail ---\n${serial().slice(-3000)}`);
        if (Date.now() > deadline)
          throw new Error(
            `no ${re} on the serial console after ${timeoutMs} ms\n--- serial tail ---\n${serial().slice(-3000)}`,
          );
        await new Promise((r) => setTimeout(r, 1000));
      }
    },
    async bootAgain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
      if (!exited) throw new Error(`the guest did not power off within ${timeoutMs} ms`);
      start();
    },
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => qemu.once("exit", r));
        qemu.kill("SIGTERM");
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
        if (!exited) qemu.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
