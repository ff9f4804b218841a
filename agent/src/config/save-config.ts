import { stringify } from "yaml";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { writeFileAtomic } from "./atomic-write.js";
import type { ClawboxConfig } from "./config-schema.js";
import { configValidator } from "./load-config.js";

/**
 * Writes `config` to `file` as YAML, atomically (temp file in the same folder + fsync + rename + fsync of
 * the folder: a power cut leaves the old or the new file, never half of one). Mode 0o600 because later
 * keys (bridges) hold secrets. Validates first: throws UserError (`config_invalid`) and writes nothing
 * when `config` does not match the schema; fs errors (EACCES, ENOENT folder) are thrown as UserError too.
 */
export function saveConfig(file: string, config: ClawboxConfig): void {
  const copy = structuredClone(config);
  const validate = configValidator();
  if (!validate(copy)) {
    const e = validate.errors?.[0];
    throw new UserError(
      `refusing to save an invalid config to ${file}: ${e?.instancePath || "/"} ${e?.message}`,
      {
        code: ErrorCode.CONFIG_INVALID,
        fix: "correct the value named above and save again",
      },
    );
  }
  const text = `# clawbox agent configuration (written by clawbox; comments are not kept)\n${stringify(config)}`;
  try {
    writeFileAtomic(file, text, { mode: 0o600 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`cannot write config ${file}: ${code ?? String(err)}`, {
      code: ErrorCode.FILE_ERROR,
      fix: "check that the folder exists and that you may write to it (on a device: run as the clawbox user)",
      cause: err,
    });
  }
}
