import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../paths.js";
import { loadProfiles, matchProfile } from "./profiles.js";
import { loadHardwareReport } from "./report-schema.js";
import { describeGpu, formatHardwareSummary, inferenceFlags } from "./summary.js";

const fixture = (name: string) =>
  loadHardwareReport(join(REPO_ROOT, "test", "fixtures", "hardware", `${name}.json`));

describe("inferenceFlags", () => {
  it("names the SIMD features llama.cpp uses", () => {
    expect(inferenceFlags(fixture("intel-n100-16gb"))).toEqual(["AVX", "AVX2", "FMA", "F16C", "AVX-VNNI"]);
    expect(inferenceFlags(fixture("raspberry-pi-5-8gb"))).toEqual(["NEON", "NEON dotprod", "NEON FP16"]);
    expect(inferenceFlags(fixture("raspberry-pi-4-4gb"))).toEqual(["NEON"]);
  });
});

describe("describeGpu", () => {
  it("shows VRAM, unified memory and whether llama.cpp can use the GPU", () => {
    const [rtx, igpu] = fixture("rtx-4090-desktop").gpus;
    expect(rtx && describeGpu(rtx)).toBe(
      "NVIDIA GeForce RTX 4090: 24.0 GiB VRAM, driver 550.120, compute 8.9",
    );
    expect(igpu && describeGpu(igpu)).toMatch(/^AMD Raphael \[1002:164e\]: shares RAM \(up to 31\.7 GiB\)$/);
    const [v3d] = fixture("raspberry-pi-5-8gb").gpus;
    expect(v3d && describeGpu(v3d)).toBe("Broadcom VideoCore VII (v3d): shares RAM — not used for inference");
  });
});

describe("formatHardwareSummary", () => {
  it("shows clusters, memory in GiB and the matched profile with why", () => {
    const report = fixture("orange-pi-5-rk3588-16gb");
    const text = formatHardwareSummary(report, matchProfile(report, loadProfiles()));
    expect(text).toContain("clusters: 4× Cortex-A76 @ 2400 MHz + 4× Cortex-A55 @ 1800 MHz");
    expect(text).toContain("performance cores: 4, efficiency cores: 4");
    expect(text).toMatch(/^Memory: +15\.3 GiB total, 14\.8 GiB available, swap 7\.7 GiB$/m);
    expect(text).toMatch(
      /^Profile: +rk3588 \(Rockchip RK3588\)\n +why: arch arm64, board "Orange Pi 5" matches/m,
    );
  });

  it("shows the profile problem and report notes instead of a profile", () => {
    const report = {
      ...fixture("raspberry-pi-4-2gb"),
      notes: ["nvidia-smi failed: timed out after 4000 ms"],
    };
    const text = formatHardwareSummary(report, null, "no device profile matches this riscv64 machine");
    expect(text).toMatch(/^Note: +nvidia-smi failed: timed out after 4000 ms$/m);
    expect(text).toMatch(/^Profile: +none — no device profile matches this riscv64 machine$/m);
  });
});
