import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../config/atomic-write.js";
import type { NetworkSupport, SystemActions, WifiNetwork } from "./system-actions.js";
import { assertHostname, assertSsid, assertTimezoneName, assertWifiPassphrase } from "./system-input.js";

/** The file the development implementation appends requested changes to: `<dataDir>/system-requests.jsonl`. */
export function systemRequestsPath(dataDir: string): string {
  return join(dataDir, "system-requests.jsonl");
}

/**
 * Development SystemActions: changes nothing on the machine; appends each request as one JSON line
 * `{"at": ISO time, "action": "set-hostname", ...}` to systemRequestsPath (passphrases are not written) and
 * keeps SSH keys in `<dataDir>/authorized_keys`. Wi-Fi is reported as unavailable ("development").
 */
export class RecordingSystemActions implements SystemActions {
  readonly kind = "record" as const;

  constructor(private readonly dataDir: string) {}

  #record(action: string, fields: Record<string, unknown>): void {
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    appendFileSync(
      systemRequestsPath(this.dataDir),
      `${JSON.stringify({ at: new Date().toISOString(), action, ...fields })}\n`,
      { mode: 0o600 },
    );
  }

  async setHostname(name: string): Promise<void> {
    assertHostname(name);
    this.#record("set-hostname", { name });
  }

  async setTimezone(timezone: string): Promise<void> {
    assertTimezoneName(timezone);
    this.#record("set-timezone", { timezone });
  }

  async networkSupport(): Promise<NetworkSupport> {
    return { wifi: false, reason: "development" };
  }

  async wifiScan(): Promise<WifiNetwork[]> {
    return [];
  }

  async wifiJoin(ssid: string, passphrase: string | null): Promise<void> {
    assertSsid(ssid);
    if (passphrase !== null) assertWifiPassphrase(passphrase);
    this.#record("wifi-join", { ssid, secured: passphrase !== null });
  }

  async setSshKeys(lines: string[]): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    writeFileAtomic(join(this.dataDir, "authorized_keys"), lines.map((l) => `${l}\n`).join(""), {
      mode: 0o600,
    });
    this.#record("set-ssh-keys", { count: lines.length });
  }
}
