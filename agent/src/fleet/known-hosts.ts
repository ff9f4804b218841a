import { createHmac, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  /** `@revoked` / `@cert-authority` marker, if any (cert-authority lines are not used for plain keys). */
  marker?: "revoked" | "cert-authority";
  /** The host field: comma-separated patterns or one hashed `|1|salt|hash` name. */
  hosts: string;
  /** Key type, e.g. "ssh-ed25519". */
  keyType: string;
  /** The public key blob, base64 (as written in the file). */
  keyBase64: string;
}

/** Outcome of checking a presented host key. */
export type HostKeyVerdict = "match" | "unknown" | "changed" | "revoked";

/**
 * The name OpenSSH looks up for a host: `host` on port 22, else `[host]:port`.
 */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Parses known_hosts text; comments, blank and malformed lines are skipped (as OpenSSH does). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const parts = line.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (parts[0] === "@revoked" || parts[0] === "@cert-authority") {
      marker = parts.shift() === "@revoked" ? "revoked" : "cert-authority";
    }
    const [hosts, keyType, keyBase64] = parts;
    if (!hosts || !keyType || !keyBase64) continue;
    out.push({ ...(marker ? { marker } : {}), hosts, keyType, keyBase64 });
  }
  return out;
}

/**
 * True when an entry's host field names `name` (from knownHostName): a hashed `|1|salt|HMAC-SHA1` name,
 * or comma-separated patterns with `*`/`?` wildcards where a matching `!pattern` excludes.
 */
export function entryMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith("|1|")) {
    const [, , salt, hash] = hosts.split("|");
    if (!salt || !hash) return false;
    const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return mac === hash;
  }
  let matched = false;
  for (const pattern of hosts.split(",")) {
    const negated = pattern.startsWith("!");
    const p = negated ? pattern.slice(1) : pattern;
    const re = new RegExp(
      `^${p
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
    );
    if (re.test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The key type inside an SSH public key blob (its first length-prefixed string), e.g. "ssh-ed25519". */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return "";
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString("latin1");
}

/**
 * A known_hosts file as the source of truth for host keys (`~/.ssh/known_hosts` like OpenSSH).
 * The file is re-read on every check so entries appended by another process are seen.
 */
export class KnownHosts {
  constructor(readonly file: string) {}

  /** Entries for `host:port` (plain keys only), read now; [] when the file does not exist. */
  entriesFor(host: string, port: number): KnownHostEntry[] {
    if (!existsSync(this.file)) return [];
    const name = knownHostName(host, port);
    return parseKnownHosts(readFileSync(this.file, "utf8")).filter(
      (e) => e.marker !== "cert-authority" && entryMatches(e.hosts, name),
    );
  }

  /**
   * Checks a presented key blob: "revoked" when a `@revoked` line lists it, "match" when a line for this
   * host has the same key, "changed" when the host has lines but none with this key (a possible
   * man-in-the-middle: always refused), "unknown" when the host has no line.
   */
  check(host: string, port: number, blob: Buffer): HostKeyVerdict {
    const b64 = blob.toString("base64");
    const entries = this.entriesFor(host, port);
    if (existsSync(this.file)) {
      const revoked = parseKnownHosts(readFileSync(this.file, "utf8")).some(
        (e) => e.marker === "revoked" && e.keyBase64 === b64,
      );
      if (revoked) return "revoked";
    }
    if (entries.some((e) => e.keyBase64 === b64)) return "match";
    return entries.length > 0 ? "changed" : "unknown";
  }

  /** Key types known for the host, in file order (to prefer them when negotiating, as OpenSSH does). */
  knownKeyTypes(host: string, port: number): string[] {
    return [...new Set(this.entriesFor(host, port).map((e) => e.keyType))];
  }

  /**
   * Appends a line for a newly accepted key (`--accept-new`), hashed like OpenSSH's HashKnownHosts when
   * `hashed` is true. Creates the file (mode 0600) and its folder (0700) if needed.
   */
  add(host: string, port: number, blob: Buffer, hashed = false): void {
    const name = knownHostName(host, port);
    let field = name;
    if (hashed) {
      const salt = randomBytes(20);
      field = `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
    }
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    appendFileSync(this.file, `${field} ${keyTypeOfBlob(blob)} ${blob.toString("base64")}\n`, {
      mode: 0o600,
    });
  }
}
