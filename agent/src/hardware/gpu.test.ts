import { describe, expect, it } from "vitest";
import { type DrmCard, gpuFromDrmCard, pciDeviceName } from "./drm.js";
import { buildGpus, isJetson, jetsonGpu } from "./gpu.js";

const GiB = 1024 ** 3;
const card = (over: Partial<DrmCard>): DrmCard => ({
  name: "card0",
  vendor: null,
  device: null,
  driver: null,
  vramTotalBytes: null,
  gttTotalBytes: null,
  compatible: null,
  ...over,
});

describe("gpuFromDrmCard", () => {
  it("Intel Iris Xe (0x46a6) is integrated, Arc A770 (0x56a0) is discrete", () => {
    expect(
      gpuFromDrmCard(
        card({ vendor: 0x8086, device: 0x46a6, driver: "i915" }),
        "Alder Lake-P GT2 [Iris Xe Graphics]",
      ),
    ).toEqual({
      vendor: "intel",
      model: "Intel Alder Lake-P GT2 [Iris Xe Graphics] [8086:46a6]",
      vramBytes: null,
      unifiedMemory: true,
    });
    expect(gpuFromDrmCard(card({ vendor: 0x8086, device: 0x56a0, driver: "i915" }), null)).toMatchObject({
      unifiedMemory: false,
      model: "Intel Arc discrete GPU [8086:56a0]",
    });
  });

  it("AMD 780M APU shares RAM: vramBytes = carve-out + GTT; Navi 31 has its own 24 GiB", () => {
    const apu = gpuFromDrmCard(
      card({
        vendor: 0x1002,
        device: 0x15bf,
        driver: "amdgpu",
        vramTotalBytes: 512 * 1024 ** 2,
        gttTotalBytes: 15 * GiB,
      }),
      "Phoenix1",
    );
    expect(apu).toEqual({
      vendor: "amd",
      model: "AMD Phoenix1 [1002:15bf]",
      vramBytes: 512 * 1024 ** 2 + 15 * GiB,
      unifiedMemory: true,
    });
    const dgpu = gpuFromDrmCard(
      card({
        vendor: 0x1002,
        device: 0x744c,
        driver: "amdgpu",
        vramTotalBytes: 24 * GiB,
        gttTotalBytes: 32 * GiB,
      }),
      null,
    );
    expect(dgpu).toMatchObject({ vendor: "amd", vramBytes: 24 * GiB, unifiedMemory: false });
  });

  it("an unknown AMD device with a small carve-out counts as an APU", () => {
    const g = gpuFromDrmCard(card({ vendor: 0x1002, device: 0x9999, vramTotalBytes: 256 * 1024 ** 2 }), null);
    expect(g?.unifiedMemory).toBe(true);
  });

  it("lists the Pi's V3D as broadcom and Mali as arm, skips display-only and NVIDIA cards", () => {
    expect(gpuFromDrmCard(card({ driver: "v3d", compatible: "brcm,2712-v3d" }), null)).toEqual({
      vendor: "broadcom",
      model: "Broadcom VideoCore VII (v3d)",
      vramBytes: null,
      unifiedMemory: true,
    });
    expect(
      gpuFromDrmCard(card({ driver: "panthor", compatible: "rockchip,rk3588-mali" }), null)?.vendor,
    ).toBe("arm");
    expect(gpuFromDrmCard(card({ driver: "vc4-drm" }), null)).toBeNull();
    expect(gpuFromDrmCard(card({ vendor: 0x10de, device: 0x2684, driver: "nvidia" }), null)).toBeNull();
  });
});

describe("pciDeviceName", () => {
  const ids = [
    "# excerpt in pci.ids layout",
    "1002  Advanced Micro Devices, Inc. [AMD/ATI]",
    "\t15bf  Phoenix1",
    "\t\t1043 1234  a subsystem line",
    "10de  NVIDIA Corporation",
    "\t2684  AD102 [GeForce RTX 4090]",
    "8086  Intel Corporation",
    "\t46a6  Alder Lake-P GT2 [Iris Xe Graphics]",
    "C 03  Display controller",
    "\t00  VGA compatible controller",
    "",
  ].join("\n");

  it("finds a device under its own vendor only", () => {
    expect(pciDeviceName(ids, 0x1002, 0x15bf)).toBe("Phoenix1");
    expect(pciDeviceName(ids, 0x8086, 0x46a6)).toBe("Alder Lake-P GT2 [Iris Xe Graphics]");
    expect(pciDeviceName(ids, 0x10de, 0x15bf)).toBeNull();
    expect(pciDeviceName(ids, 0x1234, 0x0001)).toBeNull();
    expect(
      pciDeviceName("8086  Intel Corporation\n\t46d1  Alder Lake-N [UHD Graphics]\n", 0x8086, 0x46d1),
    ).toBe("Alder Lake-N [UHD Graphics]");
  });
});

describe("Jetson", () => {
  const tegra =
    "# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic, EABI: aarch64, DATE: Fri Sep 13\n";

  it("is recognised by board name or by /etc/nv_tegra_release", () => {
    expect(isJetson("NVIDIA Jetson Orin Nano Developer Kit", null)).toBe(true);
    expect(isJetson(null, tegra)).toBe(true);
    expect(isJetson("Raspberry Pi 5 Model B Rev 1.0", null)).toBe(false);
  });

  it("without nvidia-smi: one unified Orin GPU, compute 8.7, L4T version as driver", () => {
    expect(jetsonGpu("NVIDIA Jetson Orin Nano Developer Kit", tegra, [])).toEqual({
      vendor: "nvidia",
      model: "NVIDIA Orin integrated GPU (Ampere)",
      vramBytes: null,
      unifiedMemory: true,
      driverVersion: "L4T R36.4.0",
      computeCapability: "8.7",
    });
  });

  it("with nvidia-smi: its name and driver, still unified and never VRAM", () => {
    const { gpus, notes } = buildGpus({
      board: "NVIDIA Jetson AGX Orin Developer Kit",
      tegraRelease: tegra,
      nvidiaSmi: {
        gpus: [
          {
            vendor: "nvidia",
            model: "Orin (nvgpu)",
            vramBytes: null,
            unifiedMemory: false,
            driverVersion: "540.4.0",
            computeCapability: "8.7",
          },
        ],
      },
      drmCards: [card({ driver: "tegra-drm" })],
      pciIds: null,
    });
    expect(notes).toEqual([]);
    expect(gpus).toEqual([
      {
        vendor: "nvidia",
        model: "Orin (nvgpu)",
        vramBytes: null,
        unifiedMemory: true,
        driverVersion: "540.4.0",
        computeCapability: "8.7",
      },
    ]);
  });
});

describe("buildGpus on x86", () => {
  const rtx = {
    vendor: "nvidia" as const,
    model: "NVIDIA GeForce RTX 4090",
    vramBytes: 24564 * 1024 ** 2,
    unifiedMemory: false,
  };

  it("lists nvidia-smi's GPU once (not again from DRM) next to the iGPU", () => {
    const { gpus, notes } = buildGpus({
      board: "ASUS ProArt X670E",
      tegraRelease: null,
      nvidiaSmi: { gpus: [rtx] },
      drmCards: [
        card({ vendor: 0x10de, device: 0x2684, driver: "nvidia" }),
        card({
          name: "card1",
          vendor: 0x1002,
          device: 0x164e,
          vramTotalBytes: 512 * 1024 ** 2,
          gttTotalBytes: 31 * GiB,
        }),
      ],
      pciIds: null,
    });
    expect(notes).toEqual([]);
    expect(gpus.map((g) => [g.vendor, g.unifiedMemory])).toEqual([
      ["nvidia", false],
      ["amd", true],
    ]);
  });

  it("leaves out an NVIDIA card that nvidia-smi did not report and says why", () => {
    const { gpus, notes } = buildGpus({
      board: null,
      tegraRelease: null,
      nvidiaSmi: {
        gpus: [],
        problem:
          "nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
      },
      drmCards: [card({ vendor: 0x10de, device: 0x2504, driver: "nouveau" })],
      pciIds: null,
    });
    expect(gpus).toEqual([]);
    expect(notes).toHaveLength(2);
    expect(notes[1]).toMatch(
      /NVIDIA GPU \[10de:2504\] \(card0, driver nouveau\) is not usable.*install the NVIDIA driver/,
    );
  });
});
