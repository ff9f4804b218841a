import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { hardwareProfilesDir, REPO_ROOT } from "../paths.js";
import {
  gpuBandwidthFor,
  loadProfiles,
  MIN_WEIGHT_BYTES_PER_THREAD,
  matchProfile,
  resolveThreads,
  threadsForModelBytes,
} from "./profiles.js";
import { loadHardwareReport } from "./report-schema.js";
import type { HardwareReport } from "./types.js";

const profiles = loadProfiles(hardwareProfilesDir({}));
const byId = (id: string) => {
  const p = profiles.find((x) => x.id === id);
  if (!p) throw new Error(`no profile ${id}`);
  return p;
};
const fixture = (name: string): HardwareReport =>
  loadHardwareReport(join(REPO_ROOT, "test", "fixtures", "hardware", `${name}.json`));

const tmp = mkdtempSync(join(tmpdir(), "clawbox-profiles-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A profiles folder holding the real schema, one good profile and the given files. */
function profileDir(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, "profiles"), { recursive: true });
  copyFileSync(join(hardwareProfilesDir({}), "profile.schema.json"), join(dir, "profile.schema.json"));
  copyFileSync(
    join(hardwareProfilesDir({}), "profiles", "x86-cpu.yaml"),
    join(dir, "profiles", "x86-cpu.yaml"),
  );
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, "profiles", f), text);
  return dir;
}

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error("expected a UserError");
}

const pi5Yaml = readFileSync(join(hardwareProfilesDir({}), "profiles", "raspberry-pi-5.yaml"), "utf8");

describe("loadProfiles", () => {
  it("loads every shipped profile, ids from file names", () => {
    expect(profiles.map((p) => p.id)).toEqual(
      expect.arrayContaining([
        "raspberry-pi-4",
        "raspberry-pi-5",
        "jetson-orin",
        "rk3588",
        "x86-cpu",
        "x86-nvidia",
        "x86-igpu",
        "generic-arm64",
      ]),
    );
    for (const p of profiles) {
      expect(p.memoryBandwidthSource.length).toBeGreaterThan(10);
      expect(p.efficiencySource.length).toBeGreaterThan(10);
    }
    expect(byId("jetson-orin").runtime.gpu).toBe("cuda");
    expect(byId("x86-igpu").runtime.gpu).toBe("vulkan");
    expect(byId("x86-nvidia").runtime.gpu).toBe("cuda");
    expect(byId("raspberry-pi-4").runtime.gpu).toBe(false);
    expect(byId("raspberry-pi-5").memoryBandwidthGBs).toBeCloseTo(17.1, 1);
  });

  it("names file, line and key of an unknown key", () => {
    const dir = profileDir("unknown-key", {
      "pi.yaml": pi5Yaml.replace("priority: 100", "priority: 100\nprioritty: 5"),
    });
    const err = errorOf(() => loadProfiles(dir));
    expect(err.message).toMatch(/pi\.yaml:\d+: prioritty is not a known key$/);
    const line = Number(/pi\.yaml:(\d+)/.exec(err.message)?.[1]);
    expect(pi5Yaml.replace("priority: 100", "priority: 100\nprioritty: 5").split("\n")[line - 1]).toBe(
      "prioritty: 5",
    );
  });

  it("names file, line and key of a wrong type", () => {
    const text = pi5Yaml.replace("batchSize: 256", 'batchSize: "big"');
    const err = errorOf(() => loadProfiles(profileDir("wrong-type", { "pi.yaml": text })));
    const line = text.split("\n").findIndex((l) => l.includes('batchSize: "big"')) + 1;
    expect(err.message).toContain(`pi.yaml:${line}: runtime.batchSize must be integer`);
  });

  it("names file, line and key of an invalid regular expression", () => {
    const text = pi5Yaml.replace(/board: .*/, 'board: "Raspberry Pi (5"');
    const err = errorOf(() => loadProfiles(profileDir("bad-regex", { "pi.yaml": text })));
    const line = text.split("\n").findIndex((l) => l.includes("board:")) + 1;
    expect(err.message).toMatch(
      new RegExp(`pi\\.yaml:${line}: match\\.board is not a valid regular expression`),
    );
    expect(err.fix).toMatch(/regular expression/);
  });

  it("rejects a quantised KV cache without flash attention, and disordered context sizes", () => {
    const kv = pi5Yaml
      .replace("kvCacheType: f16", "kvCacheType: q8_0")
      .replace("flashAttention: true", "flashAttention: false");
    expect(errorOf(() => loadProfiles(profileDir("kv", { "pi.yaml": kv }))).message).toMatch(
      /pi\.yaml:\d+: runtime\.kvCacheType "q8_0" needs runtime\.flashAttention: true/,
    );
    const ctx = pi5Yaml.replace("default: 4096, min: 1024", "default: 512, min: 1024");
    expect(errorOf(() => loadProfiles(profileDir("ctx", { "pi.yaml": ctx }))).message).toMatch(
      /runtime\.contextSize must satisfy min ≤ default ≤ max/,
    );
  });

  it("rejects two files with the same id and an empty folder", () => {
    const dup = profileDir("dup", { "pi.yaml": pi5Yaml, "pi.yml": pi5Yaml });
    expect(errorOf(() => loadProfiles(dup)).message).toMatch(
      /pi\.yml: id "pi" is already defined by .*pi\.yaml/,
    );
    const empty = join(tmp, "empty");
    mkdirSync(join(empty, "profiles"), { recursive: true });
    copyFileSync(join(hardwareProfilesDir({}), "profile.schema.json"), join(empty, "profile.schema.json"));
    expect(errorOf(() => loadProfiles(empty)).code).toBe("profiles_invalid");
  });
});

describe("matchProfile", () => {
  it.each([
    ["raspberry-pi-4-2gb", "raspberry-pi-4"],
    ["raspberry-pi-4-4gb", "raspberry-pi-4"],
    ["raspberry-pi-5-8gb", "raspberry-pi-5"],
    ["raspberry-pi-5-16gb", "raspberry-pi-5"],
    ["jetson-orin-nano-8gb", "jetson-orin"],
    ["orange-pi-5-rk3588-16gb", "rk3588"],
    ["intel-n100-16gb", "intel-n-series"],
    ["rtx-4090-desktop", "x86-nvidia"],
    ["rtx-3060-12gb-desktop", "x86-nvidia"],
    ["amd-780m-minipc", "x86-igpu"],
    ["intel-i7-12700h-laptop", "x86-igpu"],
    ["ampere-altra-64c-128gb", "arm64-server"],
  ])("%s → %s", (name, expected) => {
    const { profile, why } = matchProfile(fixture(name), profiles);
    expect(profile.id).toBe(expected);
    expect(why).toContain(`priority ${profile.priority}`);
  });

  it("explains the match and the profiles it beat", () => {
    const { why } = matchProfile(fixture("raspberry-pi-5-8gb"), profiles);
    expect(why).toBe(
      'arch arm64, board "Raspberry Pi 5 Model B Rev 1.0" matches /Raspberry Pi (5|500)\\b|Raspberry Pi Compute Module 5/i (priority 100); also matched (lower priority): generic-arm64',
    );
  });

  it("falls back to the generic profile of the arch", () => {
    const board = { ...fixture("raspberry-pi-4-4gb"), board: "Pine64 RockPro64 v2.1" };
    expect(matchProfile(board, profiles).profile.id).toBe("generic-arm64");
    const desktop = fixture("rtx-4090-desktop");
    const noNvidia = { ...desktop, gpus: desktop.gpus.filter((g) => g.vendor !== "nvidia") };
    expect(matchProfile(noNvidia, profiles).profile.id).toBe("x86-cpu");
  });

  it("an NVIDIA Jetson never takes the x86 CUDA profile, an AGX gets its own bandwidth", () => {
    const agx = { ...fixture("jetson-orin-nano-8gb"), board: "NVIDIA Jetson AGX Orin Developer Kit" };
    const { profile } = matchProfile(agx, profiles);
    expect(profile.id).toBe("jetson-orin-agx");
    expect(profile.memoryBandwidthGBs).toBe(204.8);
  });

  it("throws a UserError for an architecture without profiles", () => {
    const riscv = { ...fixture("raspberry-pi-4-4gb"), arch: "riscv64", board: "StarFive VisionFive 2" };
    const err = errorOf(() => matchProfile(riscv, profiles));
    expect(err.code).toBe("no_profile");
    expect(err.message).toMatch(
      /no device profile matches this riscv64 machine.*profiles exist for: arm64, x64/,
    );
    expect(err.fix).toMatch(/match\.arch \[riscv64\]/);
  });
});

describe("resolveThreads", () => {
  it("uses the big cores of big.LITTLE and the P-cores of Intel hybrid", () => {
    expect(resolveThreads(byId("rk3588"), fixture("orange-pi-5-rk3588-16gb"))).toBe(4);
    expect(resolveThreads(byId("x86-igpu"), fixture("intel-i7-12700h-laptop"))).toBe(6);
    expect(resolveThreads(byId("x86-nvidia"), fixture("rtx-4090-desktop"))).toBe(16);
  });

  it("never exceeds the logical cores and is at least 1", () => {
    const pi = fixture("raspberry-pi-4-2gb");
    const fixed = (threads: number) => ({
      ...byId("raspberry-pi-4"),
      runtime: { ...byId("raspberry-pi-4").runtime, threads },
    });
    expect(resolveThreads(fixed(64), pi)).toBe(4);
    expect(resolveThreads(byId("raspberry-pi-4"), { ...pi, cpu: { ...pi.cpu, performanceCores: 0 } })).toBe(
      1,
    );
  });

  const MB = 1e6;
  // [file bytes, threads on the i7-12700H (6 P-cores of 14), on the Pi 4 (4 cores)]
  it.each([
    [1_185_376, 1, 1], // stories260K
    [8 * MB, 1, 1],
    [8 * MB + 1, 2, 2],
    [17.2 * MB, 3, 3],
    [30 * MB, 4, 4],
    [41 * MB, 6, 4],
    [400 * MB, 6, 4], // qwen2.5-0.5b Q4_K_M
  ])("a %d-byte model gets %d threads on the i7-12700H and %d on the Pi 4", (bytes, intel, pi) => {
    expect(resolveThreads(byId("x86-igpu"), fixture("intel-i7-12700h-laptop"), bytes)).toBe(intel);
    expect(resolveThreads(byId("raspberry-pi-4"), fixture("raspberry-pi-4-2gb"), bytes)).toBe(pi);
  });

  it("keeps every performance core when the model size is unknown", () => {
    const report = fixture("intel-i7-12700h-laptop");
    expect(resolveThreads(byId("x86-igpu"), report, undefined)).toBe(6);
    expect(resolveThreads(byId("x86-igpu"), report, 0)).toBe(6);
    expect(resolveThreads(byId("x86-igpu"), report, Number.NaN)).toBe(6);
  });

  it("uses a fixed profile number as is, whatever the model size", () => {
    const pi = fixture("raspberry-pi-4-2gb");
    const fixed = { ...byId("raspberry-pi-4"), runtime: { ...byId("raspberry-pi-4").runtime, threads: 3 } };
    expect(resolveThreads(fixed, pi, 1_185_376)).toBe(3);
    expect(resolveThreads(fixed, pi, 4e9)).toBe(3);
  });
});

describe("threadsForModelBytes", () => {
  it("gives one thread per MIN_WEIGHT_BYTES_PER_THREAD of weights, 1 … maxThreads", () => {
    expect(MIN_WEIGHT_BYTES_PER_THREAD).toBe(8_000_000);
    expect(threadsForModelBytes(16, 1)).toBe(1);
    expect(threadsForModelBytes(16, 3 * MIN_WEIGHT_BYTES_PER_THREAD)).toBe(3);
    expect(threadsForModelBytes(16, 3 * MIN_WEIGHT_BYTES_PER_THREAD + 1)).toBe(4);
    expect(threadsForModelBytes(16, 1e12)).toBe(16);
    expect(threadsForModelBytes(0, 1e12)).toBe(1);
    expect(threadsForModelBytes(4)).toBe(4);
  });
});

describe("gpuBandwidthFor", () => {
  it("looks the VRAM bandwidth up by GPU model, first match wins", () => {
    const nvidia = byId("x86-nvidia");
    const gpu = (model: string) => ({ vendor: "nvidia" as const, model, vramBytes: 1, unifiedMemory: false });
    expect(gpuBandwidthFor(nvidia, gpu("NVIDIA GeForce RTX 4090"))?.GBs).toBe(1008);
    expect(gpuBandwidthFor(nvidia, gpu("NVIDIA GeForce RTX 4090 Laptop GPU"))?.GBs).toBe(576);
    expect(gpuBandwidthFor(nvidia, gpu("NVIDIA GeForce RTX 3060 Ti"))?.GBs).toBe(448);
    expect(gpuBandwidthFor(nvidia, gpu("NVIDIA GeForce RTX 3060"))?.GBs).toBe(360);
    expect(gpuBandwidthFor(nvidia, gpu("Quadro P2000"))).toMatchObject({ GBs: 256, efficiency: 0.7 });
    expect(gpuBandwidthFor(byId("raspberry-pi-5"), gpu("x"))).toBeNull();
  });
});
