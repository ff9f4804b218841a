import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../config/load-config.js";
import { clientBaseUrl, formatUrl, readAgentUrl, removeAgentUrl, writeAgentUrl } from "./agent-url.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-url-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("agent URL", () => {
  it("formats IPv4 and IPv6 hosts", () => {
    expect(formatUrl("127.0.0.1", 8080)).toBe("http://127.0.0.1:8080");
    expect(formatUrl("::1", 80)).toBe("http://[::1]:80");
  });

  it("prefers --url, then the running agent's record, then the config", () => {
    const config = defaultConfig();
    config.server.host = "0.0.0.0";
    config.server.port = 9000;
    expect(clientBaseUrl({ dataDir: dir, config })).toBe("http://127.0.0.1:9000");
    writeAgentUrl(dir, "http://127.0.0.1:43210");
    expect(clientBaseUrl({ dataDir: dir, config })).toBe("http://127.0.0.1:43210");
    expect(clientBaseUrl({ url: "http://box:1/", dataDir: dir, config })).toBe("http://box:1");
  });

  it("removes only its own record", () => {
    writeAgentUrl(dir, "http://127.0.0.1:1");
    removeAgentUrl(dir, "http://127.0.0.1:2");
    expect(readAgentUrl(dir)).toBe("http://127.0.0.1:1");
    removeAgentUrl(dir, "http://127.0.0.1:1");
    expect(readAgentUrl(dir)).toBeNull();
  });
});
