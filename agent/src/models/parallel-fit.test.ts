import { describe, expect, it } from "vitest";
import { parallelSequencesFor } from "./parallel-fit.js";

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe("parallelSequencesFor", () => {
  it("keeps the profile's number when memory holds more", () => {
    const fit = parallelSequencesFor({
      wanted: 2,
      memoryBytes: 2.6 * GiB,
      weightsBytes: 0.5 * GiB,
      overheadBytes: 200 * MiB,
      kvBytesPerSequence: 48 * MiB,
    });
    // (2.6 GiB / 1.2 − 0.5 GiB − 200 MiB) / 48 MiB = (2218.7 − 512 − 200) / 48 = 31.4
    expect(fit).toEqual({ parallel: 2, memoryHolds: 31 });
  });

  it("lowers it to what the KV caches fit in", () => {
    const fit = parallelSequencesFor({
      wanted: 8,
      memoryBytes: 1.2 * GiB,
      weightsBytes: 0.6 * GiB,
      overheadBytes: 100 * MiB,
      kvBytesPerSequence: 100 * MiB,
    });
    // (1024 − 614.4 − 100) / 100 = 3.1
    expect(fit.parallel).toBe(3);
  });

  it("always allows one sequence, and no bound when memory is unknown", () => {
    const tight = { wanted: 4, weightsBytes: GiB, overheadBytes: 0, kvBytesPerSequence: MiB };
    expect(parallelSequencesFor({ ...tight, memoryBytes: 0.5 * GiB }).parallel).toBe(1);
    expect(parallelSequencesFor({ ...tight, memoryBytes: null }).parallel).toBe(4);
  });
});
