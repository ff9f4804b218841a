/**
 * Last-line checks inside SystemActions implementations: even though callers validate user input, nothing
 * reaches a command's argument list unless it passes these (defence in depth; arguments never start with
 * "-", so they cannot be read as options).
 */

/** Throws unless `name` is one RFC 1123 label in lower case. */
export function assertHostname(name: string): void {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name))
    throw new Error(`refusing hostname ${JSON.stringify(name)}`);
}

/** Throws unless `tz` looks like an IANA zone name ("Area/City", "UTC"). */
export function assertTimezoneName(tz: string): void {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(tz) || tz.length > 64)
    throw new Error(`refusing time zone ${JSON.stringify(tz)}`);
}

/** Throws unless `ssid` is 1–32 bytes of UTF-8 (IEEE 802.11 limit) without control characters or a leading "-". */
export function assertSsid(ssid: string): void {
  const bytes = Buffer.byteLength(ssid, "utf8");
  if (bytes < 1 || bytes > 32 || /\p{Cc}/u.test(ssid) || ssid.startsWith("-"))
    throw new Error(`refusing SSID ${JSON.stringify(ssid)}`);
}

/** Throws unless `psk` is a WPA passphrase: 8–63 printable ASCII characters (IEEE 802.11i). */
export function assertWifiPassphrase(psk: string): void {
  if (!/^[\x20-\x7e]{8,63}$/.test(psk))
    throw new Error("refusing Wi-Fi passphrase: 8–63 printable ASCII characters");
}
