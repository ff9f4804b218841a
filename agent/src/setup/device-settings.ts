import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { SystemActions } from "../system/system-actions.js";
import type { SettingsStore } from "./settings-store.js";
import { parseSshPublicKey, type SshPublicKey } from "./ssh-key.js";
import { validateDeviceName, validateTimezone } from "./validate.js";

/** Device name and time zone as last set through clawbox. */
export interface DeviceIdentity {
  name: string;
  timezone: string;
}

/** Most SSH keys kept (a fleet uses one or two; the limit keeps authorized_keys readable). */
export const MAX_SSH_KEYS = 20;

/**
 * Device settings shared by the wizard and the dashboard: name + time zone and the fleet SSH keys. Inputs
 * are validated (UserError on bad input), applied through SystemActions, then remembered in settings.
 */
export class DeviceSettings {
  constructor(
    private readonly settings: SettingsStore,
    private readonly system: SystemActions,
  ) {}

  /** The stored identity, or null before the device step. */
  identity(): DeviceIdentity | null {
    return this.settings.get<DeviceIdentity>("device") ?? null;
  }

  /**
   * Validates (validateDeviceName, validateTimezone), applies (hostname, then time zone) and stores the
   * device name and time zone. Returns the stored identity (name lower-cased).
   */
  async setIdentity(name: string, timezone: string): Promise<DeviceIdentity> {
    const identity = { name: validateDeviceName(name), timezone: validateTimezone(timezone) };
    await this.system.setHostname(identity.name);
    await this.system.setTimezone(identity.timezone);
    this.settings.set("device", identity);
    return identity;
  }

  /** The authorised fleet SSH keys. */
  sshKeys(): SshPublicKey[] {
    return this.settings.get<SshPublicKey[]>("ssh.keys") ?? [];
  }

  /**
   * Validates one public key line (parseSshPublicKey), adds it (a key already present is kept once) and
   * installs the whole list through SystemActions. Throws UserError (`ssh_key`, or `ssh_keys_full` beyond
   * MAX_SSH_KEYS). Returns the parsed key.
   */
  async addSshKey(text: string): Promise<SshPublicKey> {
    const key = parseSshPublicKey(text);
    const keys = this.sshKeys().filter((k) => k.fingerprint !== key.fingerprint);
    if (keys.length >= MAX_SSH_KEYS) {
      throw new UserError(`at most ${MAX_SSH_KEYS} SSH keys can be stored`, {
        code: ErrorCode.SSH_KEYS_FULL,
        fix: "remove keys that are no longer used first",
      });
    }
    keys.push(key);
    await this.system.setSshKeys(keys.map((k) => k.line));
    this.settings.set("ssh.keys", keys);
    return key;
  }

  /** Removes the key with this fingerprint ("SHA256:…"); returns false when there was none. */
  async removeSshKey(fingerprint: string): Promise<boolean> {
    const keys = this.sshKeys();
    const rest = keys.filter((k) => k.fingerprint !== fingerprint);
    if (rest.length === keys.length) return false;
    await this.system.setSshKeys(rest.map((k) => k.line));
    this.settings.set("ssh.keys", rest);
    return true;
  }
}
