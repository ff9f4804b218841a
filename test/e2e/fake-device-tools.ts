import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Stand-ins for the device programs the agent runs in "device" mode (hostnamectl, timedatectl, nmcli):
 * small shell scripts in `<dir>/bin` that append their argument list (one argument per field, separated by
 * TAB) to `<dir>/calls.log` and answer like NetworkManager on a machine with Wi-Fi. Prepend `bin` to PATH.
 */
export function writeFakeDeviceTools(dir: string): { bin: string; calls: () => string[][] } {
  const bin = join(dir, "bin");
  const log = join(dir, "calls.log");
  mkdirSync(bin, { recursive: true });
  const logLine = `printf '%s' "$(basename "$0")" >> '${log}'; for a in "$@"; do printf '\\t%s' "$a" >> '${log}'; done; printf '\\n' >> '${log}'`;
  const script = (body: string) => `#!/bin/sh\n${logLine}\n${body}\n`;
  writeFileSync(join(bin, "hostnamectl"), script("exit 0"));
  writeFileSync(join(bin, "timedatectl"), script("exit 0"));
  writeFileSync(
    join(bin, "nmcli"),
    script(`case "$*" in
  "-t -f TYPE device status") printf 'ethernet\\nwifi\\nloopback\\n' ;;
  *"wifi list"*) printf 'no:Home\\\\:5G:80:WPA2\\nno:Cafe:40:\\n' ;;
  *) exit 0 ;;
esac`),
  );
  for (const f of ["hostnamectl", "timedatectl", "nmcli"]) chmodSync(join(bin, f), 0o755);
  return {
    bin,
    calls: () => {
      try {
        return readFileSync(log, "utf8")
          .trim()
          .split("\n")
          .map((l) => l.split("\t"));
      } catch {
        return [];
      }
    },
  };
}
