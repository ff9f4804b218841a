import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { armCoreName } from "./arm-parts.js";
import { buildCpuInfo, type CpuInputs } from "./cpu.js";
import { parseCpuinfo, parseCpuList } from "./cpuinfo.js";

const text = (name: string) => readFileSync(join(import.meta.dirname, "testdata", name), "utf8");

/** CpuInputs for `n` CPUs from a cpuinfo text, per-CPU max kHz and sibling lists. */
function inputs(
  cpuinfo: string,
  n: number,
  freq: (id: number) => number | null,
  siblings: (id: number) => string | null = (id) => String(id),
  hybrid: CpuInputs["hybrid"] = null,
): CpuInputs {
  const ids = [...Array(n).keys()];
  return {
    cpuinfo,
    online: ids,
    maxFreqKHz: Object.fromEntries(ids.map((i) => [i, freq(i)])),
    coreSiblings: Object.fromEntries(ids.map((i) => [i, siblings(i)])),
    hybrid,
  };
}

describe("parseCpuinfo", () => {
  it("reads arm64 blocks and the Raspberry Pi trailer", () => {
    const parsed = parseCpuinfo(text("raspberry-pi-5.cpuinfo"));
    expect(parsed.processors.map((p) => p.id)).toEqual([0, 1, 2, 3]);
    expect(parsed.processors[0]).toMatchObject({ implementer: 0x41, part: 0xd0b });
    expect(parsed.processors[0]?.flags).toContain("asimddp");
    expect(parsed.extra.model).toBe("Raspberry Pi 5 Model B Rev 1.0");
  });

  it("reads x86 model name, vendor, physical id and core id", () => {
    const p = parseCpuinfo(text("intel-i7-12700h.cpuinfo")).processors;
    expect(p).toHaveLength(20);
    expect(p[0]).toMatchObject({
      modelName: "12th Gen Intel(R) Core(TM) i7-12700H",
      vendorId: "GenuineIntel",
    });
    expect(p.map((x) => x.coreId)).toEqual([
      0, 0, 4, 4, 8, 8, 12, 12, 16, 16, 20, 20, 24, 25, 26, 27, 28, 29, 30, 31,
    ]);
    expect(p[0]?.flags).not.toContain("vmx flags");
  });
});

describe("parseCpuList", () => {
  it("expands ranges and singles", () => {
    expect(parseCpuList("0-3,8,10-11\n")).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList("")).toEqual([]);
    expect(parseCpuList(null)).toEqual([]);
  });
});

describe("armCoreName", () => {
  it("names the parts of the target boards and rejects unknown ones", () => {
    expect(armCoreName(0x41, 0xd0b)).toBe("Cortex-A76");
    expect(armCoreName(0x41, 0xd05)).toBe("Cortex-A55");
    expect(armCoreName(0x41, 0xd08)).toBe("Cortex-A72");
    expect(armCoreName(0x41, 0xd42)).toBe("Cortex-A78AE");
    expect(armCoreName(0x41, 0xd0c)).toBe("Neoverse-N1");
    expect(armCoreName(0x41, 0xd80)).toBe("Cortex-A520");
    expect(armCoreName(0x4e, 0x004)).toBe("Carmel");
    expect(armCoreName(0x41, 0xfff)).toBeNull();
  });
});

describe("buildCpuInfo", () => {
  it("Pi 5: one Cortex-A76 cluster of 4 with NEON dot-product", () => {
    const cpu = buildCpuInfo(inputs(text("raspberry-pi-5.cpuinfo"), 4, () => 2_400_000));
    expect(cpu).toMatchObject({
      model: "Cortex-A76",
      vendor: "ARM",
      physicalCores: 4,
      logicalCores: 4,
      performanceCores: 4,
      efficiencyCores: 0,
      maxMHz: 2400,
    });
    expect(cpu.clusters).toEqual([{ name: "Cortex-A76", cpuIds: [0, 1, 2, 3], maxMHz: 2400 }]);
    expect(cpu.flags).toEqual(expect.arrayContaining(["asimd", "asimddp", "fphp"]));
  });

  it("Pi 4: Cortex-A72 without dot-product", () => {
    const cpu = buildCpuInfo(inputs(text("raspberry-pi-4.cpuinfo"), 4, () => 1_800_000));
    expect(cpu.model).toBe("Cortex-A72");
    expect(cpu.flags).toContain("asimd");
    expect(cpu.flags).not.toContain("asimddp");
  });

  it("RK3588: 4× A76 (2.4 GHz) before 4× A55 (1.8 GHz), performance cores = 4", () => {
    const cpu = buildCpuInfo(inputs(text("rk3588.cpuinfo"), 8, (id) => (id >= 4 ? 2_400_000 : 1_800_000)));
    expect(cpu.clusters).toEqual([
      { name: "Cortex-A76", cpuIds: [4, 5, 6, 7], maxMHz: 2400 },
      { name: "Cortex-A55", cpuIds: [0, 1, 2, 3], maxMHz: 1800 },
    ]);
    expect(cpu).toMatchObject({
      model: "Cortex-A76",
      physicalCores: 8,
      performanceCores: 4,
      efficiencyCores: 4,
    });
  });

  it("RK3588 with binned A76 pairs (2.40 / 2.35 GHz) still has one big cluster", () => {
    const freq = (id: number) => (id >= 6 ? 2_352_000 : id >= 4 ? 2_400_000 : 1_800_000);
    const cpu = buildCpuInfo(inputs(text("rk3588.cpuinfo"), 8, freq));
    expect(cpu.clusters?.map((c) => [c.name, c.cpuIds.length])).toEqual([
      ["Cortex-A76", 4],
      ["Cortex-A55", 4],
    ]);
    expect(cpu.performanceCores).toBe(4);
  });

  it("RK3588 without cpufreq (some vendor kernels) orders the LITTLE A55 last", () => {
    const cpu = buildCpuInfo(inputs(text("rk3588.cpuinfo"), 8, () => null));
    expect(cpu.clusters?.[0]).toMatchObject({ name: "Cortex-A76", maxMHz: null });
    expect(cpu.performanceCores).toBe(4);
    expect(cpu.maxMHz).toBeNull();
  });

  it("Jetson Orin Nano: 6× Cortex-A78AE", () => {
    const cpu = buildCpuInfo(inputs(text("jetson-orin-nano.cpuinfo"), 6, () => 1_510_400));
    expect(cpu).toMatchObject({ model: "Cortex-A78AE", performanceCores: 6, maxMHz: 1510 });
    expect(cpu.flags).toEqual(expect.arrayContaining(["asimddp", "paca"]));
  });

  it("Intel N100: 4 cores, AVX2 and FMA but no AVX-512, one cluster named after the CPU", () => {
    const cpu = buildCpuInfo(
      inputs(
        text("intel-n100.cpuinfo"),
        4,
        () => 3_400_000,
        () => null,
      ),
    );
    expect(cpu).toMatchObject({
      model: "Intel(R) N100",
      vendor: "Intel",
      physicalCores: 4,
      performanceCores: 4,
    });
    expect(cpu.clusters).toEqual([{ name: "Intel(R) N100", cpuIds: [0, 1, 2, 3], maxMHz: 3400 }]);
    expect(cpu.flags).toEqual(expect.arrayContaining(["avx2", "fma", "f16c", "avx_vnni"]));
    expect(cpu.flags).not.toContain("avx512f");
  });

  it("i7-12700H: 6 P-cores (12 threads) + 8 E-cores from cpu_core/cpu_atom", () => {
    const siblings = (id: number) => (id < 12 ? `${id - (id % 2)}-${id - (id % 2) + 1}` : String(id));
    const freq = (id: number) => (id < 12 ? 4_700_000 : 3_500_000);
    const hybrid = { core: parseCpuList("0-11"), atom: parseCpuList("12-19") };
    const cpu = buildCpuInfo(inputs(text("intel-i7-12700h.cpuinfo"), 20, freq, siblings, hybrid));
    expect(cpu).toMatchObject({
      physicalCores: 14,
      logicalCores: 20,
      performanceCores: 6,
      efficiencyCores: 8,
    });
    expect(cpu.clusters?.map((c) => [c.name, c.cpuIds.length, c.maxMHz])).toEqual([
      ["P-core", 12, 4700],
      ["E-core", 8, 3500],
    ]);
    expect(cpu.model).toBe("12th Gen Intel(R) Core(TM) i7-12700H");
  });

  it("counts physical cores from cpuinfo core ids when sysfs topology is missing", () => {
    const cpu = buildCpuInfo(
      inputs(
        text("intel-i7-12700h.cpuinfo"),
        20,
        () => null,
        () => null,
      ),
    );
    expect(cpu.physicalCores).toBe(14);
  });

  it("uses the systeminformation fallback only where the kernel texts say nothing", () => {
    const cpu = buildCpuInfo({
      ...inputs(
        "",
        2,
        () => null,
        () => null,
      ),
      fallback: { brand: "Apple M2", vendor: "Apple", physicalCores: 1, maxMHz: 3500 },
    });
    expect(cpu).toMatchObject({
      model: "Apple M2",
      vendor: "Apple",
      physicalCores: 1,
      logicalCores: 2,
      maxMHz: 3500,
    });
  });
});
