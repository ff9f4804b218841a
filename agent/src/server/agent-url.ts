import { readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../config/atomic-write.js";
import type { ClawboxConfig } from "../config/config-schema.js";

/** `<dataDir>/agent-url`: where a running agent listens (written at start, removed at stop). */
export function agentUrlPath(dataDir: string): string {
  return join(dataDir, "agent-url");
}

/** Records the running agent's base URL (e.g. "http://127.0.0.1:8080") so the CLI finds it, even with --port 0. */
export function writeAgentUrl(dataDir: string, url: string): void {
  writeFileAtomic(agentUrlPath(dataDir), `${url}\n`, { mode: 0o600 });
}

/** Removes the record if it still names `url` (another agent may have started on the same data dir since). */
export function removeAgentUrl(dataDir: string, url: string): void {
  if (readAgentUrl(dataDir) !== url) return;
  try {
    unlinkSync(agentUrlPath(dataDir));
  } catch {
    // already gone
  }
}

/** The recorded URL, or null. A stale record (agent crashed) is detected by the failing connection. */
export function readAgentUrl(dataDir: string): string | null {
  try {
    return readFileSync(agentUrlPath(dataDir), "utf8").trim() || null;
  } catch {
    return null;
  }
}

/** `http://host:port` for a listening address; IPv6 hosts get brackets. */
export function formatUrl(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * The agent URL a CLI client should use: `--url` > the data dir's `agent-url` record > the config's
 * server host/port (an any-address bind such as 0.0.0.0 or :: is reached via loopback).
 */
export function clientBaseUrl(opts: { url?: string; dataDir: string; config: ClawboxConfig }): string {
  if (opts.url) return opts.url.replace(/\/+$/, "");
  const recorded = readAgentUrl(opts.dataDir);
  if (recorded) return recorded;
  const { host, port } = opts.config.server;
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return formatUrl(reachable, port);
}
