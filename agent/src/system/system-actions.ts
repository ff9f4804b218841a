/** A Wi-Fi network seen by a scan. */
export interface WifiNetwork {
  ssid: string;
  /** Signal quality 0–100 as NetworkManager reports it. */
  signal: number;
  /** Security as NetworkManager names it ("WPA2", "WPA1 WPA2", "" for open). */
  security: string;
  /** True for the network currently joined. */
  active: boolean;
}

/** Whether this machine can manage Wi-Fi, and if not, why (shown by the wizard's network step). */
export interface NetworkSupport {
  wifi: boolean;
  /** Machine-readable reason when `wifi` is false: "no-networkmanager", "no-wifi-device", "development". */
  reason: string | null;
}

/**
 * Changes to the device that need privileges, behind one seam. On a device they go through hostnamectl,
 * timedatectl and nmcli (argument arrays, polkit rules from image/polkit/50-clawbox.rules) and, for SSH
 * keys, a root-owned systemd path unit; in development a recorder writes the requested changes into the
 * data dir. Callers validate inputs first (setup/validate.ts, setup/ssh-key.ts); implementations check again.
 */
export interface SystemActions {
  /** "device" or "record" (development). */
  readonly kind: "device" | "record";
  /** Sets the static hostname (an RFC 1123 label). */
  setHostname(name: string): Promise<void>;
  /** Sets the system time zone (an IANA name). */
  setTimezone(timezone: string): Promise<void>;
  networkSupport(): Promise<NetworkSupport>;
  /** Scans for Wi-Fi networks (rescan, then list), strongest first. */
  wifiScan(): Promise<WifiNetwork[]>;
  /** Joins a Wi-Fi network (WPA passphrase 8–63 characters, or none for an open network). */
  wifiJoin(ssid: string, passphrase: string | null): Promise<void>;
  /** Replaces the authorised SSH keys of the fleet-administration account (authorized_keys lines). */
  setSshKeys(lines: string[]): Promise<void>;
}
