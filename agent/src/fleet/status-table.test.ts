import { describe, expect, it } from "vitest";
import type { DeviceStatus } from "./device-status.js";
import { formatDeviceStatus, formatDuration, formatFleetTable } from "./status-table.js";

const status: DeviceStatus = {
  version: "0.2.0",
  health: "ok",
  model: "qwen2.5-1.5b-instruct",
  uptimeSeconds: 3725,
  systemUptimeSeconds: 200000,
  temperatureC: 52.3,
  tokensPerSecond: 11.4,
  disk: { path: "/var/lib/clawbox", freeBytes: 5 * 1024 ** 3, totalBytes: 32 * 1024 ** 3 },
  agentUrl: "http://127.0.0.1:8080",
};

describe("formatting", () => {
  it("formats durations", () => {
    expect(formatDuration(59)).toBe("59s");
    expect(formatDuration(61)).toBe("1m 1s");
    expect(formatDuration(3725)).toBe("1h 2m");
    expect(formatDuration(200000)).toBe("2d 7h");
  });

  it("prints a device status as key: value lines", () => {
    const text = formatDeviceStatus(status);
    expect(text).toContain("health:        ok\n");
    expect(text).toContain("temperature:   52.3 °C\n");
    expect(text).toContain("disk free:     5.37 GB of 34.4 GB (/var/lib/clawbox)\n");
  });

  it("aligns the fleet table and puts the reason under an unreachable host", () => {
    const text = formatFleetTable([
      { host: "pi-01", address: "10.0.0.1", port: 22, reachable: true, status, ms: 80 },
      {
        host: "pi-0002",
        address: "10.0.0.2",
        port: 22,
        reachable: false,
        failure: "unreachable",
        reason: "ECONNREFUSED",
        ms: 3,
      },
    ]);
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(5);
    const col = (line: string | undefined, word: string) => line?.indexOf(word);
    expect(col(lines[0], "REACHABLE")).toBe(col(lines[1], "yes"));
    expect(col(lines[0], "REACHABLE")).toBe(col(lines[2], "no"));
    expect(lines[1]).toMatch(
      /pi-01\s+yes\s+0\.2\.0\s+qwen2\.5-1\.5b-instruct\s+ok\s+1h 2m\s+52\.3°C\s+11\.4\s+5\.37 GB$/,
    );
    expect(lines[3]).toBe("  └ unreachable: ECONNREFUSED");
    expect(lines[4]).toBe("2 hosts: 1 reachable, 1 healthy");
  });
});
