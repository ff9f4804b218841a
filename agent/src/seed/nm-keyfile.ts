import { createHash } from "node:crypto";
import type { SeedWifi } from "./seed-file.js";

/**
 * Escapes a GLib key-file string value (GKeyFile: "\\", "\n", "\t", "\r" and a leading space are escaped;
 * the format NetworkManager's keyfile plugin reads, nm-settings-keyfile(5)).
 */
function keyfileString(value: string): string {
  return value
    .replace(/\\/g, "\\\\")
    .replace(/\n/g, "\\n")
    .replace(/\t/g, "\\t")
    .replace(/\r/g, "\\r")
    .replace(/^ /, "\\s");
}

/**
 * A stable connection UUID for an SSID (RFC 4122 version-5 layout over SHA-1 of "clawbox-seed:" + SSID),
 * so importing the same seed again writes the same file.
 */
export function seedConnectionUuid(ssid: string): string {
  const h = createHash("sha1").update(`clawbox-seed:${ssid}`).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The keyfile name for an SSID: "seed-" + the SSID with every other character than [A-Za-z0-9_-] as "_". */
export function seedConnectionFile(ssid: string): string {
  return `seed-${ssid.replace(/[^A-Za-z0-9_-]/g, "_")}-${seedConnectionUuid(ssid).slice(0, 8)}.nmconnection`;
}

/**
 * A NetworkManager keyfile (nm-settings-keyfile(5)) for one Wi-Fi network: autoconnect with the seed's
 * priority, WPA-PSK when a passphrase or 64-hex PSK is given (key-mgmt=wpa-psk covers WPA2 and WPA3
 * transition networks), open otherwise, DHCP/SLAAC for addresses. Contains the secret: write it 0600 root.
 */
export function wifiKeyfile(w: SeedWifi): string {
  const lines = [
    "[connection]",
    `id=${keyfileString(w.ssid)}`,
    `uuid=${seedConnectionUuid(w.ssid)}`,
    "type=wifi",
    "autoconnect=true",
    `autoconnect-priority=${w.priority ?? 0}`,
    "",
    "[wifi]",
    "mode=infrastructure",
    `ssid=${keyfileString(w.ssid)}`,
    ...(w.hidden ? ["hidden=true"] : []),
    "",
  ];
  if (w.psk !== undefined) lines.push("[wifi-security]", "key-mgmt=wpa-psk", `psk=${w.psk}`, "");
  lines.push("[ipv4]", "method=auto", "", "[ipv6]", "method=auto", "");
  return lines.join("\n");
}
