import { join } from "node:path";
import { explain, run } from "./tools.js";

/** What the Raspberry Pi firmware reads from the image's FAT boot partition (partition 1). */
export interface PiBootPartition {
  /** File names in the partition's root directory. */
  files: string[];
  /** config.txt as written by raspi-firmware's kernel hook. */
  configTxt: string;
  /** cmdline.txt (one line) as written by the same hook. */
  cmdlineTxt: string;
  /** Host copies of the kernel and initrd that config.txt names (`kernel=`, `initramfs`). */
  kernel: string;
  initrd: string;
}

/**
 * Reads the FAT boot partition of the raw Pi image `raw` with mtools (no mount, no root) and copies the
 * kernel and initrd config.txt names into `dir`. The partition's byte offset comes from the MBR (`partx`,
 * 512-byte sectors). Throws when a tool fails or config.txt names no kernel or initrd.
 */
export function readPiBootPartition(raw: string, dir: string): PiBootPartition {
  const px = run("partx", ["-g", "-o", "START", "-n", "1", raw]);
  if (px.code !== 0) throw new Error(`partx failed: ${explain(px)}`);
  const image = `${raw}@@${Number(px.stdout.trim()) * 512}`;
  const ls = run("mdir", ["-b", "-i", image, "::/"]);
  if (ls.code !== 0) throw new Error(`mdir failed: ${explain(ls)}`);
  const files = ls.stdout
    .split("\n")
    .map((l) => l.trim().replace(/^::\//, ""))
    .filter(Boolean);
  const text = (name: string) => {
    const r = run("mtype", ["-i", image, `::/${name}`]);
    if (r.code !== 0) throw new Error(`mtype ${name} failed: ${explain(r)}`);
    return r.stdout;
  };
  const configTxt = text("config.txt");
  const cmdlineTxt = text("cmdline.txt").trim();
  const kernelName = configTxt.match(/^kernel=(\S+)$/m)?.[1];
  const initrdName = configTxt.match(/^initramfs\s+(\S+)/m)?.[1];
  if (!kernelName || !initrdName) throw new Error(`config.txt names no kernel or initramfs:\n${configTxt}`);
  const copy = (name: string) => {
    const dest = join(dir, name);
    const r = run("mcopy", ["-n", "-i", image, `::/${name}`, dest]);
    if (r.code !== 0) throw new Error(`mcopy ${name} failed: ${explain(r)}`);
    return dest;
  };
  return { files, configTxt, cmdlineTxt, kernel: copy(kernelName), initrd: copy(initrdName) };
}

/**
 * The Pi's kernel command line for QEMU's `virt` machine: the Pi firmware replaces `serial0` with the
 * board's UART before starting the kernel; on `virt` the UART is the PL011 `ttyAMA0`. Everything else
 * (root, rootfstype, SELinux arguments, the other consoles) is passed unchanged.
 */
export function virtCommandLine(cmdlineTxt: string): string {
  return cmdlineTxt.replace(/\bconsole=serial0\b/g, "console=ttyAMA0");
}
