import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/**
 * Checks a device name for use as the hostname: one RFC 1123 label (RFC 1123 §2.1, RFC 952): 1–63
 * characters, letters/digits/hyphen, not starting or ending with a hyphen. Upper case is accepted and
 * lowered (host names are case-insensitive; mDNS announces the lower-case form). Returns the lowered
 * name; throws UserError (`invalid_device_name`, status 400) saying what is wrong.
 */
export function validateDeviceName(name: string): string {
  const lowered = name.trim().toLowerCase();
  const fix =
    "use 1–63 letters, digits and hyphens, starting and ending with a letter or digit, e.g. kitchen-box";
  if (lowered.length === 0 || lowered.length > 63) {
    throw new UserError(`the device name must be 1 to 63 characters long (got ${lowered.length})`, {
      code: ErrorCode.INVALID_DEVICE_NAME,
      fix,
    });
  }
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(lowered)) {
    throw new UserError(`"${name}" is not a valid host name`, { code: ErrorCode.INVALID_DEVICE_NAME, fix });
  }
  return lowered;
}

let zones: Set<string> | undefined;

/**
 * The IANA time zones this runtime knows: `Intl.supportedValuesOf("timeZone")` (ICU's copy of the IANA
 * tz database) plus "UTC", which ICU lists only as an alias. Sorted.
 */
export function timeZones(): string[] {
  zones ??= new Set([...Intl.supportedValuesOf("timeZone"), "UTC"]);
  return [...zones].sort();
}

/** Returns `tz` when it is an IANA zone name from timeZones(); throws UserError (`invalid_timezone`) otherwise. */
export function validateTimezone(tz: string): string {
  timeZones();
  if (!zones?.has(tz)) {
    throw new UserError(`"${tz}" is not a time zone name from the IANA list`, {
      code: ErrorCode.INVALID_TIMEZONE,
      fix: 'pick a zone like "Europe/Berlin" or "Asia/Shanghai" from the list',
    });
  }
  return tz;
}

/**
 * Checks an admin user name: 3–32 characters, lower-case letters, digits, "-", "_" and ".", starting with
 * a letter (the portable POSIX user-name subset, so the same name can be used for a system account later).
 * Returns it; throws UserError (`invalid_username`).
 */
export function validateUsername(username: string): string {
  if (!/^[a-z][a-z0-9._-]{2,31}$/.test(username)) {
    throw new UserError(`"${username}" is not a valid user name`, {
      code: ErrorCode.INVALID_USERNAME,
      fix: "use 3–32 lower-case letters, digits, '.', '-' or '_', starting with a letter, e.g. admin",
    });
  }
  return username;
}
