import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VERSION } from "../version.js";
import { collectDeviceStatus, diskUsage, readTemperatureC } from "./device-status.js";

const dir = mkdtempSync(join(tmpdir(), "clawbox-device-status-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readTemperatureC", () => {
  it("returns the hottest zone in °C from millidegrees and skips unreadable zones", () => {
    const thermal = join(dir, "thermal");
    for (const [zone, temp] of [
      ["thermal_zone0", "45123\n"],
      ["thermal_zone1", "61750\n"],
      ["thermal_zone2", "garbage"],
      ["cooling_device0", "99000"],
    ] as const) {
      mkdirSync(join(thermal, zone), { recursive: true });
      writeFileSync(join(thermal, zone, "temp"), temp);
    }
    mkdirSync(join(thermal, "thermal_zone3"), { recursive: true }); // no temp file
    expect(readTemperatureC(thermal)).toBe(61.8);
  });

  it("is null without thermal zones", () => {
    expect(readTemperatureC(join(dir, "nothing"))).toBeNull();
  });
});

describe("diskUsage", () => {
  it("measures the nearest existing folder of a path that does not exist yet", () => {
    const d = diskUsage(join(dir, "not", "yet"));
    const s = statfsSync(dir);
    expect(d.path).toBe(join(dir, "not", "yet"));
    expect(d.totalBytes).toBe(s.blocks * s.bsize);
    expect(d.freeBytes).toBeGreaterThan(0);
    expect(d.freeBytes).toBeLessThanOrEqual(d.totalBytes);
  });
});

describe("collectDeviceStatus without a running agent", () => {
  it("reports down with the reason when no agent-url was recorded", async () => {
    const s = await collectDeviceStatus({ dataDir: join(dir, "fresh"), thermalDir: join(dir, "thermal") });
    expect(s).toMatchObject({
      version: VERSION,
      health: "down",
      model: null,
      agentUrl: null,
      temperatureC: 61.8,
    });
    expect(s.reason).toContain("no agent-url");
  });

  it("reports down when the recorded agent does not answer (stale agent-url after a crash)", async () => {
    const data = join(dir, "stale");
    mkdirSync(data, { recursive: true });
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, "127.0.0.1", () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === "object" && a ? a.port : 0));
      });
    });
    writeFileSync(join(data, "agent-url"), `http://127.0.0.1:${port}\n`);
    const s = await collectDeviceStatus({ dataDir: data, timeoutMs: 1000 });
    expect(s.health).toBe("down");
    expect(s.agentUrl).toBe(`http://127.0.0.1:${port}`);
    expect(s.reason).toContain("ECONNREFUSED");
  });
});
