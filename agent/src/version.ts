import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The agent release version, from agent/package.json (dist/version.js → ../package.json). */
export const VERSION: string = (
  JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")) as { version: string }
).version;
