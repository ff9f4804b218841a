import { existsSync, readFileSync } from "node:fs";
import { type Document, parseDocument } from "yaml";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { writeFileAtomic } from "./atomic-write.js";
import { configValidator } from "./load-config.js";

/**
 * Changes the owner's YAML config `file` in place (created when missing): `edit` gets the parsed document
 * (comments, key order and the owner's other keys survive; `yaml` Document API), the whole result is
 * validated against the config schema, then written atomically with mode 0600 (the file may hold bridge
 * secrets). `what` names the change in errors, e.g. "the chosen model".
 * Throws UserError `config_file_unwritable` ("cannot save <what> to <file>: <reason>", with a fix) when the file cannot
 * be read, is not YAML, the result would not be a valid config, or the write fails; nothing is written then.
 */
export function editConfigFile(file: string, what: string, edit: (doc: Document) => void): void {
  const fail = (reason: string, cause?: unknown): never => {
    throw new UserError(`cannot save ${what} to ${file}: ${reason}`, {
      code: ErrorCode.CONFIG_FILE_UNWRITABLE,
      fix: "check the config file (clawbox config show) and that the agent may write it",
      cause,
    });
  };
  let text = "";
  try {
    text = existsSync(file) ? readFileSync(file, "utf8") : "";
  } catch (err) {
    fail((err as NodeJS.ErrnoException).code ?? String(err), err);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) fail(`it is not valid YAML (${doc.errors[0]?.message})`);
  if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  edit(doc);
  const validate = configValidator();
  if (!validate(structuredClone(doc.toJS() ?? {}))) {
    const e = validate.errors?.[0];
    fail(`the result would not be a valid config (${e?.instancePath || "/"} ${e?.message})`);
  }
  try {
    writeFileAtomic(file, doc.toString(), { mode: 0o600 });
  } catch (err) {
    fail((err as NodeJS.ErrnoException).code ?? String(err), err);
  }
}
