import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyOverrides, defaultConfig } from "../config/load-config.js";
import { loadProfiles, matchProfile } from "../hardware/profiles.js";
import type { HardwareReport } from "../hardware/types.js";
import { loadCatalogue } from "../models/catalogue.js";
import { ModelStore } from "../models/store.js";
import { checkDisk, checkModel, checkNode, checkPort } from "./checks.js";

const dir = mkdtempSync(join(tmpdir(), "clawbox-doctor-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pi5: HardwareReport = {
  schemaVersion: 1,
  arch: "arm64",
  platform: "linux",
  board: "Raspberry Pi 5 Model B Rev 1.0",
  cpu: { model: "Cortex-A76", physicalCores: 4, logicalCores: 4, flags: ["asimd", "asimddp"] },
  memory: { totalBytes: 8_450_000_000, availableBytes: 7_850_000_000, swapBytes: 0 },
  gpus: [],
  diskFreeBytes: 50_000_000_000,
};

describe("doctor checks", () => {
  it("node version against the minimum", () => {
    expect(checkNode("20.11.0").status).toBe("ok");
    expect(checkNode("22.1.0").status).toBe("ok");
    const old = checkNode("18.19.1");
    expect(old.status).toBe("fail");
    expect(old.fix).toMatch(/Node 20/);
  });

  it("port: free, held by a clawbox agent, held by something else", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    expect((await checkPort("127.0.0.1", freePort)).status).toBe("ok");

    const sockets: Socket[] = [];
    const other = createServer((s) => {
      sockets.push(s);
      s.write("SSH-2.0-OpenSSH_9.2\r\n");
    });
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    const busy = await checkPort("127.0.0.1", (other.address() as AddressInfo).port);
    expect(busy.status).toBe("fail");
    expect(busy.fix).toMatch(/--port/);
    for (const s of sockets) s.destroy();
    await new Promise((r) => other.close(r));

    const agent = createHttpServer((_req, res) => res.end(JSON.stringify({ status: "no-model" })));
    await new Promise<void>((r) => agent.listen(0, "127.0.0.1", r));
    const held = await checkPort("127.0.0.1", (agent.address() as AddressInfo).port);
    expect(held).toMatchObject({ status: "ok", detail: expect.stringContaining("clawbox agent") });
    agent.closeAllConnections();
    await new Promise((r) => agent.close(r));
  });

  it("disk: fails when the needed model does not fit", () => {
    expect(checkDisk(pi5, 1_000_000_000).status).toBe("ok");
    const full = checkDisk({ ...pi5, diskFreeBytes: 200_000_000 }, 1_000_000_000);
    expect(full.status).toBe("fail");
    expect(full.fix).toMatch(/free disk/);
  });

  it("model: a configured id missing from the store fails with the pull command", async () => {
    const store = new ModelStore(join(dir, "models"), { catalogue: loadCatalogue() });
    const { profile } = matchProfile(pi5, loadProfiles());
    const config = applyOverrides(defaultConfig(), { model: "qwen2.5-1.5b-instruct" });
    const { result } = await checkModel(config, store, pi5, profile);
    expect(result.status).toBe("fail");
    expect(result.fix).toBe("clawbox models pull qwen2.5-1.5b-instruct");
  });

  it("model: without a configured one, the recommended one is named with its pull URI and size", async () => {
    const store = new ModelStore(join(dir, "models2"), { catalogue: loadCatalogue() });
    const { profile } = matchProfile(pi5, loadProfiles());
    const { result, neededBytes } = await checkModel(defaultConfig(), store, pi5, profile);
    expect(result.status).toBe("warn");
    expect(result.fix).toMatch(/^clawbox models pull hf:/);
    expect(neededBytes).toBeGreaterThan(100_000_000);
  });
});
