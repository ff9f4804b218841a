import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseNvidiaSmi, queryNvidiaSmi } from "./nvidia-smi.js";

const MiB = 1024 ** 2;
const dir = mkdtempSync(join(tmpdir(), "clawbox-nvidia-smi-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes an executable stand-in for nvidia-smi: a real process that prints what a driver would. */
function fakeSmi(name: string, script: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe("parseNvidiaSmi", () => {
  it("reads one GPU per line, MiB to bytes, N/A to null", () => {
    const csv =
      "NVIDIA GeForce RTX 4090, 24564, 550.54.14, 8.9\nNVIDIA GeForce RTX 3060, 12288, 550.54.14, 8.6\nOrin (nvgpu), [N/A], 540.4.0, 8.7\n";
    expect(parseNvidiaSmi(csv)).toEqual([
      {
        vendor: "nvidia",
        model: "NVIDIA GeForce RTX 4090",
        vramBytes: 24564 * MiB,
        unifiedMemory: false,
        driverVersion: "550.54.14",
        computeCapability: "8.9",
      },
      {
        vendor: "nvidia",
        model: "NVIDIA GeForce RTX 3060",
        vramBytes: 12288 * MiB,
        unifiedMemory: false,
        driverVersion: "550.54.14",
        computeCapability: "8.6",
      },
      {
        vendor: "nvidia",
        model: "Orin (nvgpu)",
        vramBytes: null,
        unifiedMemory: false,
        driverVersion: "540.4.0",
        computeCapability: "8.7",
      },
    ]);
  });
});

describe("queryNvidiaSmi", () => {
  it("treats a missing binary as no NVIDIA GPU, without a problem", async () => {
    expect(await queryNvidiaSmi(join(dir, "no-such-nvidia-smi"))).toEqual({ gpus: [] });
  });

  it("passes the query as separate arguments and parses the answer", async () => {
    const smi = fakeSmi(
      "ok",
      '[ "$1" = "--query-gpu=name,memory.total,driver_version,compute_cap" ] && [ "$2" = "--format=csv,noheader,nounits" ] || exit 3\necho "NVIDIA GeForce RTX 3060, 12288, 535.183.01, 8.6"',
    );
    const r = await queryNvidiaSmi(smi);
    expect(r.problem).toBeUndefined();
    expect(r.gpus).toEqual([
      {
        vendor: "nvidia",
        model: "NVIDIA GeForce RTX 3060",
        vramBytes: 12288 * MiB,
        unifiedMemory: false,
        driverVersion: "535.183.01",
        computeCapability: "8.6",
      },
    ]);
  });

  it("asks again without compute_cap when an old driver rejects the field", async () => {
    const smi = fakeSmi(
      "old",
      'case "$1" in *compute_cap*) echo \'Field "compute_cap" is not a valid field to query.\'; exit 2;; esac\necho "Tesla T4, 15360, 470.256.02"',
    );
    const r = await queryNvidiaSmi(smi);
    expect(r.gpus[0]).toMatchObject({ model: "Tesla T4", vramBytes: 15360 * MiB, computeCapability: null });
  });

  it("reports a driver failure and a hang as a problem", async () => {
    const broken = fakeSmi(
      "broken",
      'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver."; exit 9',
    );
    expect(await queryNvidiaSmi(broken)).toEqual({
      gpus: [],
      problem:
        "nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    });
    const hung = fakeSmi("hung", "exec sleep 5");
    const r = await queryNvidiaSmi(hung, 200);
    expect(r).toEqual({ gpus: [], problem: "nvidia-smi failed: timed out after 200 ms" });
  });
});
