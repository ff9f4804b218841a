import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectHardware } from "./detect.js";
import { parseMeminfo } from "./memory.js";
import { validateHardwareReport } from "./report-schema.js";

const tmp = mkdtempSync(join(tmpdir(), "clawbox-detect-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const testdata = (name: string) => readFileSync(join(import.meta.dirname, "testdata", name), "utf8");

/** Builds a folder that mimics another device's /proc, /sys and /etc: files by path, and symlinks. */
function fakeRoot(name: string, files: Record<string, string>, links: Record<string, string> = {}): string {
  const root = join(tmp, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  for (const [path, target] of Object.entries(links)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    symlinkSync(target, join(root, path));
  }
  return root;
}

/** sysfs files for CPUs 0…n-1: online list, cpufreq max and SMT siblings. */
function cpuFiles(n: number, maxKHz: (id: number) => number, siblings: (id: number) => string = String) {
  const files: Record<string, string> = { "sys/devices/system/cpu/online": `0-${n - 1}\n` };
  for (let i = 0; i < n; i++) {
    files[`sys/devices/system/cpu/cpu${i}/cpufreq/cpuinfo_max_freq`] = `${maxKHz(i)}\n`;
    files[`sys/devices/system/cpu/cpu${i}/topology/core_cpus_list`] = `${siblings(i)}\n`;
  }
  return files;
}

const meminfo = (totalKb: number, availKb: number, swapKb = 0) =>
  `MemTotal:       ${totalKb} kB\nMemFree:        ${availKb - 1000} kB\nMemAvailable:   ${availKb} kB\nSwapTotal:      ${swapKb} kB\n`;

describe("detectHardware on this machine", () => {
  it("matches what the kernel and Node report, and validates as a HardwareReport", async () => {
    const report = await detectHardware({ modelsDir: join(tmp, "data", "models") });
    const mem = parseMeminfo(readFileSync("/proc/meminfo", "utf8"));
    expect(validateHardwareReport(report)).toBe(report);
    expect(report.source).toBe("detected");
    expect(report.arch).toBe(process.arch);
    expect(report.cpu.logicalCores).toBe(cpus().length);
    expect(report.cpu.physicalCores).toBeLessThanOrEqual(report.cpu.logicalCores);
    expect(report.cpu.performanceCores).toBeGreaterThanOrEqual(1);
    expect(report.memory.totalBytes).toBe(totalmem());
    expect(report.memory.totalBytes).toBe(mem?.totalBytes);
    expect(report.memory.swapBytes).toBe(mem?.swapBytes);
    expect(report.memory.availableBytes).toBeGreaterThan(0);
    expect(report.memory.availableBytes).toBeLessThanOrEqual(report.memory.totalBytes);
    expect(report.diskPath).toBe(tmp);
    expect(report.diskFreeBytes).toBeGreaterThan(0);
    expect(report.os?.kernel).toBe(readFileSync("/proc/sys/kernel/osrelease", "utf8").trim());
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    if (/\bavx2\b/.test(cpuinfo)) expect(report.cpu.flags).toContain("avx2");
    expect(Date.parse(report.detectedAt ?? "")).not.toBeNaN();
  });
});

describe("detectHardware on other devices' /proc and /sys", () => {
  it("Orange Pi 5 (RK3588): board, big.LITTLE clusters, Mali listed as arm, os and memory", async () => {
    const root = fakeRoot(
      "opi5",
      {
        "proc/cpuinfo": testdata("rk3588.cpuinfo"),
        "proc/meminfo": meminfo(16_084_000, 15_400_000),
        "proc/device-tree/model": "Orange Pi 5\0",
        "proc/sys/kernel/osrelease": "6.1.43-rockchip-rk3588\n",
        "etc/os-release": 'NAME="Ubuntu"\nVERSION_ID="22.04"\n',
        "sys/devices/platform/fb000000.gpu/of_node/compatible":
          "rockchip,rk3588-mali\0arm,mali-valhall-csf\0",
        ...cpuFiles(8, (i) => (i >= 4 ? 2_400_000 : 1_800_000)),
      },
      {
        "sys/class/drm/card0/device": "../../../devices/platform/display-subsystem",
        "sys/devices/platform/display-subsystem/driver": "../../../bus/platform/drivers/rockchip-drm",
        "sys/class/drm/card1/device": "../../../devices/platform/fb000000.gpu",
        "sys/devices/platform/fb000000.gpu/driver": "../../../bus/platform/drivers/panthor",
        "sys/class/drm/card1-HDMI-A-1": "../../../devices/platform/display-subsystem/hdmi",
      },
    );
    const r = await detectHardware({ root, arch: "arm64", modelsDir: tmp, nvidiaSmi: join(tmp, "absent") });
    expect(r.board).toBe("Orange Pi 5");
    expect(r.cpu).toMatchObject({
      model: "Cortex-A76",
      physicalCores: 8,
      performanceCores: 4,
      efficiencyCores: 4,
    });
    expect(r.cpu.clusters?.map((c) => c.name)).toEqual(["Cortex-A76", "Cortex-A55"]);
    expect(r.gpus).toEqual([
      {
        vendor: "arm",
        model: "Arm Mali (panthor, rockchip,rk3588-mali)",
        vramBytes: null,
        unifiedMemory: true,
      },
    ]);
    expect(r.memory).toEqual({
      totalBytes: 16_084_000 * 1024,
      availableBytes: 15_400_000 * 1024,
      swapBytes: 0,
    });
    expect(r.os).toEqual({ distro: "Ubuntu", release: "22.04", kernel: "6.1.43-rockchip-rk3588" });
    expect(r.notes).toBeUndefined();
    validateHardwareReport(r);
  });

  it("Jetson Orin Nano: one unified-memory GPU from nvidia-smi, never counted as VRAM", async () => {
    const smi = join(tmp, "jetson-nvidia-smi");
    writeFileSync(smi, '#!/bin/sh\necho "Orin (nvgpu), [N/A], 540.4.0, 8.7"\n');
    chmodSync(smi, 0o755);
    const root = fakeRoot("orin", {
      "proc/cpuinfo": testdata("jetson-orin-nano.cpuinfo"),
      "proc/meminfo": meminfo(7_802_000, 6_900_000, 3_901_000),
      "proc/device-tree/model": "NVIDIA Jetson Orin Nano Developer Kit\0",
      "etc/nv_tegra_release":
        "# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64\n",
      ...cpuFiles(6, () => 1_510_400),
    });
    const r = await detectHardware({ root, arch: "arm64", modelsDir: tmp, nvidiaSmi: smi });
    expect(r.gpus).toEqual([
      {
        vendor: "nvidia",
        model: "Orin (nvgpu)",
        vramBytes: null,
        unifiedMemory: true,
        driverVersion: "540.4.0",
        computeCapability: "8.7",
      },
    ]);
    expect(r.cpu.model).toBe("Cortex-A78AE");
    expect(r.memory.swapBytes).toBe(3_901_000 * 1024);
  });

  it("i7-12700H laptop: P/E split, Iris Xe named from pci.ids, driverless NVIDIA card explained", async () => {
    const root = fakeRoot(
      "xps",
      {
        "proc/cpuinfo": testdata("intel-i7-12700h.cpuinfo"),
        "proc/meminfo": meminfo(32_496_000, 31_200_000, 2_097_148),
        "sys/class/dmi/id/sys_vendor": "Dell Inc.\n",
        "sys/class/dmi/id/product_name": "XPS 15 9520\n",
        "sys/devices/cpu_core/cpus": "0-11\n",
        "sys/devices/cpu_atom/cpus": "12-19\n",
        "sys/devices/pci0000:00/0000:00:02.0/vendor": "0x8086\n",
        "sys/devices/pci0000:00/0000:00:02.0/device": "0x46a6\n",
        "sys/devices/pci0000:00/0000:01:00.0/vendor": "0x10de\n",
        "sys/devices/pci0000:00/0000:01:00.0/device": "0x25a0\n",
        "usr/share/misc/pci.ids": "8086  Intel Corporation\n\t46a6  Alder Lake-P GT2 [Iris Xe Graphics]\n",
        ...cpuFiles(
          20,
          (i) => (i < 12 ? 4_700_000 : 3_500_000),
          (i) => (i < 12 ? `${i - (i % 2)}-${i - (i % 2) + 1}` : String(i)),
        ),
      },
      {
        "sys/class/drm/card0/device": "../../../devices/pci0000:00/0000:00:02.0",
        "sys/devices/pci0000:00/0000:00:02.0/driver": "../../../bus/pci/drivers/i915",
        "sys/class/drm/card1/device": "../../../devices/pci0000:00/0000:01:00.0",
        "sys/devices/pci0000:00/0000:01:00.0/driver": "../../../bus/pci/drivers/nouveau",
      },
    );
    const r = await detectHardware({ root, arch: "x64", modelsDir: tmp, nvidiaSmi: join(tmp, "absent") });
    expect(r.board).toBe("Dell Inc. XPS 15 9520");
    expect(r.cpu).toMatchObject({
      physicalCores: 14,
      logicalCores: 20,
      performanceCores: 6,
      efficiencyCores: 8,
    });
    expect(r.gpus).toEqual([
      {
        vendor: "intel",
        model: "Intel Alder Lake-P GT2 [Iris Xe Graphics] [8086:46a6]",
        vramBytes: null,
        unifiedMemory: true,
      },
    ]);
    expect(r.notes).toEqual([
      "NVIDIA GPU [10de:25a0] (card1, driver nouveau) is not usable: nvidia-smi did not report it; install the NVIDIA driver",
    ]);
    validateHardwareReport(r);
  });
});
