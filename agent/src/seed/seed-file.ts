import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { parseYamlText, yamlLineOf } from "../config/yaml-file.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { REPO_ROOT } from "../paths.js";

/** One Wi-Fi network of a seed (provisioning/seed.schema.json `wifi[]`). */
export interface SeedWifi {
  ssid: string;
  /** WPA passphrase (8–63 printable ASCII) or 64 hex digits; absent for an open network. Secret. */
  psk?: string;
  /** ISO 3166-1 alpha-2 regulatory domain. */
  country: string;
  hidden?: boolean;
  /** 0–999, higher is tried first. */
  priority?: number;
}

/** A validated seed file (provisioning/seed.schema.json). */
export interface Seed {
  version: 1;
  hostname?: string;
  timezone?: string;
  wifi?: SeedWifi[];
  ssh?: { authorizedKeys?: string[] };
  admin?: { username: string; passwordHash: string };
  model?: string;
  bridges?: Record<string, Record<string, string | number | boolean>>;
}

/** The seed schema shipped with the agent release: `<release>/provisioning/seed.schema.json`. */
export const SEED_SCHEMA_PATH = join(REPO_ROOT, "provisioning", "seed.schema.json");

let validator: ValidateFunction<Seed> | undefined;

/** The compiled seed validator (ajv, draft-07; union types as the schema's bridge values use them). */
function seedValidator(): ValidateFunction<Seed> {
  validator ??= new Ajv({ allErrors: true, allowUnionTypes: true }).compile<Seed>(
    JSON.parse(readFileSync(SEED_SCHEMA_PATH, "utf8")) as object,
  );
  return validator;
}

/**
 * What a key's value must be, in words, for the keys whose schema rule is a pattern (ajv would print the
 * regular expression). Keyed by the last path element.
 */
const PATTERN_WORDS: Record<string, string> = {
  psk: "must be 8-63 printable ASCII characters, or the 64 hex digits Raspberry Pi Imager writes",
  hostname: "must be one lower-case label: letters, digits and inner hyphens, at most 63 characters",
  timezone: 'must be an IANA time zone name such as "Europe/Berlin"',
  country: 'must be a two-letter upper-case country code such as "DE"',
  passwordHash: "must be a SHA-512-crypt hash ($6$…, from `openssl passwd -6`), not the password",
  username: "must be lower case, start with a letter or _, at most 32 characters",
  model: 'must be a catalogue id (see `clawbox recommend`), "recommended" or "none"',
};

function friendly(err: UserError): UserError {
  const m = err.message.match(/^(.*?: )((?:[\w-]+\.)*([\w-]+)) must match pattern .*$/s);
  if (!m) return err;
  const key = /^\d+$/.test(m[3] as string) ? (m[2] as string).split(".").at(-2) : m[3];
  const words =
    PATTERN_WORDS[key ?? ""] ?? (key === "authorizedKeys" ? "must be one OpenSSH public key line" : null);
  if (!words) return err;
  return new UserError(`${m[1]}${m[2]} ${words}`, { code: err.code, fix: `change ${m[2]}: it ${words}` });
}

/** A UserError for a value the schema accepted but the device cannot use, at the line of `path`. */
export function seedProblem(
  file: string,
  text: string,
  path: string[],
  problem: string,
  fix: string,
): UserError {
  const line = yamlLineOf(text, path);
  return new UserError(`seed file ${file}${line ? `:${line}` : ""}: ${path.join(".")} ${problem}`, {
    code: ErrorCode.SEED_INVALID,
    fix,
  });
}

/**
 * Reads and validates the seed `file`: YAML syntax and provisioning/seed.schema.json (ajv), then the
 * checks a schema cannot do: the time zone exists under `zoneinfo` (the tzdata package), at most one Wi-Fi
 * country (the radio has one regulatory domain). Returns the seed and its text (for line numbers in later
 * checks). Throws UserError (`file_error`, `yaml_syntax`, `yaml_invalid`, `seed_invalid`) naming the file, line
 * and key, with a fix.
 */
export function readSeedFile(file: string, zoneinfo: string): { seed: Seed; text: string } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(`cannot read seed file ${file}: ${(err as NodeJS.ErrnoException).code}`, {
      code: ErrorCode.FILE_ERROR,
      fix: `check that ${file} exists and is readable`,
      cause: err,
    });
  }
  let seed: Seed;
  try {
    seed = parseYamlText(text, file, seedValidator(), "seed file");
  } catch (err) {
    throw err instanceof UserError ? friendly(err) : err;
  }
  if (seed.timezone !== undefined) {
    const zone = join(zoneinfo, seed.timezone);
    if (!existsSync(zone) || !statSync(zone).isFile())
      throw seedProblem(
        file,
        text,
        ["timezone"],
        `"${seed.timezone}" is not a known time zone`,
        'use a zone listed by `timedatectl list-timezones`, such as "Europe/Berlin"',
      );
  }
  const countries = [...new Set((seed.wifi ?? []).map((w) => w.country))];
  if (countries.length > 1)
    throw seedProblem(
      file,
      text,
      ["wifi", String((seed.wifi ?? []).findIndex((w) => w.country !== countries[0])), "country"],
      `is ${countries[1]} but an earlier network says ${countries[0]}: the Wi-Fi radio has one country`,
      "give every network the country the device is in",
    );
  return { seed, text };
}
