import { existsSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { DEVICE_CONFIG_PATH, resolveDataDir } from "../paths.js";
import { type ClawboxConfig, CONFIG_SCHEMA } from "./config-schema.js";
import { loadYamlFile } from "./yaml-file.js";

let validator: ValidateFunction<ClawboxConfig> | undefined;

/**
 * The compiled config validator (ajv, `useDefaults`: validating fills in every default, so a valid
 * result is a complete ClawboxConfig). Compiled once per process.
 */
export function configValidator(): ValidateFunction<ClawboxConfig> {
  validator ??= new Ajv({ allErrors: true, useDefaults: true }).compile<ClawboxConfig>(CONFIG_SCHEMA);
  return validator;
}

/** The built-in defaults (no file): what `CONFIG_SCHEMA` fills into an empty document. A fresh object each call. */
export function defaultConfig(): ClawboxConfig {
  const config = {};
  if (!configValidator()(config)) throw new Error("config schema defaults do not validate");
  return config as ClawboxConfig;
}

export interface LoadedConfig {
  config: ClawboxConfig;
  /** Absolute path of the file read, or null when only the built-in defaults apply. */
  file: string | null;
}

/**
 * Loads the effective configuration. Precedence: `file` (from `--config`) > `deviceConfigPath`
 * (default /etc/clawbox/config.yaml) if it exists > built-in defaults. Missing keys get their defaults.
 * Relative `dataDir` and model paths in a file are resolved against the file's folder.
 * Throws UserError naming file, line, key and fix for an unreadable, malformed or invalid file.
 */
export function loadConfig(file?: string, opts: { deviceConfigPath?: string } = {}): LoadedConfig {
  const deviceConfigPath = opts.deviceConfigPath ?? DEVICE_CONFIG_PATH;
  const chosen = file ? resolve(file) : existsSync(deviceConfigPath) ? deviceConfigPath : null;
  if (!chosen) return { config: defaultConfig(), file: null };
  const config = loadYamlFile(chosen, configValidator(), "config");
  const base = dirname(chosen);
  if (config.dataDir && !isAbsolute(config.dataDir)) config.dataDir = resolve(base, config.dataDir);
  if (config.model && looksLikePath(config.model) && !isAbsolute(config.model))
    config.model = resolve(base, config.model);
  return { config, file: chosen };
}

/** True for a GGUF path ("./m.gguf", "models/x.gguf"), false for a catalogue id ("qwen2.5-1.5b-instruct"). */
export function looksLikePath(ref: string): boolean {
  return ref.includes("/") || ref.includes("\\") || ref.toLowerCase().endsWith(".gguf");
}

/** Command-line flags that override the config (undefined = not given). */
export interface ConfigOverrides {
  dataDir?: string;
  host?: string;
  port?: number;
  model?: string;
  threads?: number;
  contextSize?: number;
}

/**
 * Returns a copy of `config` with the given flags applied (flags beat the file). Paths in flags are
 * relative to the current directory. Throws UserError for an out-of-range port/threads/context size.
 */
export function applyOverrides(config: ClawboxConfig, o: ConfigOverrides): ClawboxConfig {
  const out: ClawboxConfig = structuredClone(config);
  if (o.dataDir !== undefined) out.dataDir = resolve(o.dataDir);
  if (o.host !== undefined) out.server.host = o.host;
  if (o.port !== undefined) out.server.port = checkInt("--port", o.port, 0, 65535);
  if (o.model !== undefined) out.model = looksLikePath(o.model) ? resolve(o.model) : o.model;
  if (o.threads !== undefined) out.inference.threads = checkInt("--threads", o.threads, 1, 1024);
  if (o.contextSize !== undefined)
    out.inference.contextSize = checkInt("--context-size", o.contextSize, 64, 1048576);
  return out;
}

/** The data dir this config means: its `dataDir`, else resolveDataDir() ($CLAWBOX_DATA_DIR, XDG, ~/.local/share). */
export function configDataDir(config: ClawboxConfig, env: NodeJS.ProcessEnv = process.env): string {
  return resolveDataDir(config.dataDir, env);
}

/** Parses a CLI integer flag; throws UserError naming the flag and the allowed range. */
export function parseIntFlag(flag: string, min: number, max: number): (value: string) => number {
  return (value: string) => checkInt(flag, Number(value), min, max, value);
}

function checkInt(flag: string, n: number, min: number, max: number, raw: unknown = n): number {
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UserError(`${flag} ${String(raw)} is not a whole number from ${min} to ${max}`, {
      code: ErrorCode.INVALID_FLAG,
      fix: `pass ${flag} with a whole number between ${min} and ${max}`,
    });
  }
  return n;
}
