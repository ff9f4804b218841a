import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPiBootPartition, virtCommandLine } from "./pi-boot-partition.js";
import { explain, requireTool, run } from "./tools.js";

// The arm64 boot test reads the Pi image's boot partition with these helpers; here they read a small disk
// laid out like image/build-test-image.sh's rpi flavour (MBR, FAT32 at 4 MiB), made with sfdisk and mtools
// (no root, no loop device).

describe("the Raspberry Pi boot partition reader", () => {
  const dir = mkdtempSync(join(tmpdir(), "clawbox-pi-boot-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A disk laid out like the rpi image's, with `files` on its FAT partition; returns the disk path. */
  function piDisk(name: string, files: Record<string, string>): string {
    requireTool("sfdisk", "fdisk");
    requireTool("mformat", "mtools");
    const disk = join(dir, name);
    writeFileSync(disk, "");
    truncateSync(disk, 80 * 1024 ** 2);
    const part = run("sh", [
      "-c",
      `printf 'label: dos\\nstart=4MiB, size=64MiB, type=c\\nstart=68MiB, type=83\\n' | sfdisk -q ${disk}`,
    ]);
    expect(part.code, explain(part)).toBe(0);
    const fat = `${disk}@@${4 * 1024 ** 2}`;
    const fmt = run("mformat", ["-i", fat, "-F", "-T", String((64 * 1024 ** 2) / 512), "::"]);
    expect(fmt.code, explain(fmt)).toBe(0);
    for (const [file, body] of Object.entries(files)) {
      writeFileSync(join(dir, file), body);
      const cp = run("mcopy", ["-o", "-i", fat, join(dir, file), `::/${file}`]);
      expect(cp.code, explain(cp)).toBe(0);
    }
    return disk;
  }

  it("finds config.txt's kernel and initrd on partition 1 and copies them out", () => {
    const files: Record<string, string> = {
      "config.txt":
        "arm_64bit=1\nkernel=vmlinuz-6.1.0-50-arm64\ninitramfs initrd.img-6.1.0-50-arm64 followkernel\n",
      "cmdline.txt": "console=serial0,115200 console=tty1 root=UUID=x rootfstype=ext4 rootwait\n",
      "vmlinuz-6.1.0-50-arm64": "kernel bytes",
      "initrd.img-6.1.0-50-arm64": "initrd bytes",
      "start4.elf": "firmware",
    };
    const disk = piDisk("pi.img", files);
    const out = mkdtempSync(join(dir, "out-"));
    const boot = readPiBootPartition(disk, out);
    expect(boot.files.sort()).toEqual(Object.keys(files).sort());
    expect(boot.cmdlineTxt).toBe(files["cmdline.txt"]?.trim());
    expect(readFileSync(boot.kernel, "utf8")).toBe("kernel bytes");
    expect(readFileSync(boot.initrd, "utf8")).toBe("initrd bytes");
  });

  it("refuses a config.txt that names no kernel", () => {
    const disk = piDisk("no-kernel.img", { "config.txt": "arm_64bit=1\n", "cmdline.txt": "root=UUID=x\n" });
    expect(() => readPiBootPartition(disk, dir)).toThrow(/names no kernel or initramfs/);
  });

  it("puts the virt machine's PL011 where the Pi firmware would put the board's UART", () => {
    expect(virtCommandLine("console=serial0,115200 console=tty1 root=UUID=x security=selinux")).toBe(
      "console=ttyAMA0,115200 console=tty1 root=UUID=x security=selinux",
    );
  });
});
