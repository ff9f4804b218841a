/**
 * Test-only preload (`NODE_OPTIONS="--import <this file>"`, with CLAWBOX_MODULE_LOG=<file>): records every
 * module the process loads, so a test can check what an idle agent carries in memory.
 * - ES modules: a module-customization `load` hook (node:module register) appends each URL to the file.
 * - CommonJS: `require.cache` (the loader's own table of loaded files) is written to `<file>.cjs` every
 *   200 ms, because a require() inside CommonJS code does not pass through the ESM hooks on Node 20.
 * Plain JS, not TypeScript: it runs inside the built agent, which is started without tsx.
 */
import { writeFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const log = process.env.CLAWBOX_MODULE_LOG;
if (log) {
  const hook = `import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(log)}, url + "\\n");
  return next(url, context);
}`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  const cache = createRequire(import.meta.url).cache;
  setInterval(() => writeFileSync(`${log}.cjs`, Object.keys(cache).join("\n")), 200).unref();
}
