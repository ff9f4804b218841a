import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { requireFile, run, which } from "./tools.js";

const BINFMT_DIR = "/proc/sys/fs/binfmt_misc";
const ENTRY = `${BINFMT_DIR}/qemu-aarch64`;
/** Debian's qemu-user-static registration line (systemd-binfmt format, `:name:type:offset:magic:mask:interp:flags`). */
const DEBIAN_CONF = "/usr/lib/binfmt.d/qemu-aarch64.conf";

/** The glibc of linux/arm64 that Debian's cross toolchain installs (libc6-arm64-cross, libstdc++6-arm64-cross). */
export const AARCH64_SYSROOT = "/usr/aarch64-linux-gnu";

function enabled(): boolean {
  return existsSync(ENTRY) && readFileSync(ENTRY, "utf8").startsWith("enabled");
}

/**
 * Makes the kernel run linux/arm64 ELF files through qemu-user-static (binfmt_misc), so every process an
 * emulated Node starts is emulated too: node-llama-cpp tests its binding in a forked child, which
 * `qemu-aarch64 -L` alone (one process) would not cover. Steps, each only when still needed: mount
 * binfmt_misc, `update-binfmts --enable qemu-aarch64` (binfmt-support), else write Debian's registration
 * line from /usr/lib/binfmt.d/qemu-aarch64.conf into `register` (needs root).
 * Returns the environment an emulated process needs: `QEMU_LD_PREFIX` = {@link AARCH64_SYSROOT}, where
 * qemu finds the arm64 dynamic loader and libraries (inherited by children).
 * Throws naming the Debian package or the privilege that is missing.
 */
export function ensureQemuAarch64(): NodeJS.ProcessEnv {
  requireFile(DEBIAN_CONF, "qemu-user-static");
  requireFile(`${AARCH64_SYSROOT}/lib/ld-linux-aarch64.so.1`, "crossbuild-essential-arm64");
  if (!enabled()) {
    if (!existsSync(`${BINFMT_DIR}/register`)) {
      run("mount", ["-t", "binfmt_misc", "binfmt_misc", BINFMT_DIR]);
    }
    if (!enabled() && which("update-binfmts")) run("update-binfmts", ["--enable", "qemu-aarch64"]);
    if (!enabled() && !existsSync(ENTRY)) {
      const line = readFileSync(DEBIAN_CONF, "utf8")
        .split("\n")
        .find((l) => l.startsWith(":qemu-aarch64:"));
      if (line) {
        try {
          writeFileSync(`${BINFMT_DIR}/register`, line);
        } catch (e) {
          throw new Error(`cannot register qemu-aarch64 with binfmt_misc (run as root): ${String(e)}`);
        }
      }
    }
    if (!enabled() && existsSync(ENTRY)) writeFileSync(ENTRY, "1");
  }
  if (!enabled()) {
    throw new Error(
      `${ENTRY} is not enabled: as root, mount binfmt_misc on ${BINFMT_DIR} and run update-binfmts --enable qemu-aarch64`,
    );
  }
  return { QEMU_LD_PREFIX: AARCH64_SYSROOT };
}
