/**
 * Distro name and release from /etc/os-release text (freedesktop os-release(5)): NAME and VERSION_ID
 * (VERSION or BUILD_ID as fallbacks; rolling distros have none). Pure; quotes are removed.
 * Returns null when the text has no NAME.
 */
export function parseOsRelease(text: string): { distro: string; release: string } | null {
  const kv = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) kv.set(m[1], m[2].replace(/^(["'])(.*)\1$/, "$2"));
  }
  const distro = kv.get("NAME");
  if (!distro) return null;
  return { distro, release: kv.get("VERSION_ID") ?? kv.get("VERSION") ?? kv.get("BUILD_ID") ?? "" };
}
