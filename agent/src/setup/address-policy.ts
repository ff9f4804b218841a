import { BlockList, isIP } from "node:net";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/**
 * Address ranges allowed to reach the setup API by default: loopback (RFC 1122 / RFC 4291), private
 * (RFC 1918, IPv6 unique-local RFC 4193) and link-local (RFC 3927, RFC 4291) — the owner's own network.
 */
export const LOCAL_RANGES: readonly string[] = [
  "127.0.0.0/8",
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "169.254.0.0/16",
  "::1/128",
  "fc00::/7",
  "fe80::/10",
];

/** Decides whether a client address may use the setup API. */
export interface AddressPolicy {
  allows(address: string): boolean;
}

/**
 * A policy admitting `ranges` (CIDR "a.b.c.d/n", "x::/n" or single addresses). IPv4-mapped IPv6 addresses
 * ("::ffff:192.168.1.5", how a dual-stack socket reports IPv4 clients) are checked as IPv4.
 * Throws UserError (`config_allow_from`) for an entry that is not an address or CIDR range.
 */
export function addressPolicy(ranges: readonly string[] = LOCAL_RANGES): AddressPolicy {
  const list = new BlockList();
  for (const entry of ranges) {
    const [addr, prefix] = entry.split("/");
    const family = isIP(addr ?? "");
    const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
    if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
      throw new UserError(`setup.allowFrom entry "${entry}" is not an IP address or CIDR range`, {
        code: ErrorCode.CONFIG_ALLOW_FROM,
        fix: 'write ranges like "192.168.0.0/16" or "fd00::/8"',
      });
    }
    list.addSubnet(addr as string, bits, family === 4 ? "ipv4" : "ipv6");
  }
  return {
    allows(address: string): boolean {
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
      const ip = mapped ? (mapped[1] as string) : address;
      const family = isIP(ip);
      if (family === 0) return false;
      return list.check(ip, family === 4 ? "ipv4" : "ipv6");
    },
  };
}
