import type { Command } from "commander";
import { stringify } from "yaml";
import { loadConfig } from "../config/load-config.js";
import { redactSecrets } from "../config/redact.js";

/**
 * `clawbox config validate FILE` — prints "ok" (exit 0) or the error with file:line:key and fix (exit 1).
 * `clawbox config show [--config FILE] [--json]` — the effective config (file or /etc/clawbox/config.yaml,
 * defaults filled in), secrets redacted.
 */
export function register(program: Command): void {
  const config = program.command("config");
  config
    .command("validate")
    .description("Check a config file against the schema")
    .argument("<file>", "YAML config file")
    .action((file: string) => {
      loadConfig(file);
      process.stdout.write("ok\n");
    });
  config
    .command("show")
    .description("Print the effective configuration (defaults filled in, secrets redacted)")
    .option("--config <file>", "config file (default: /etc/clawbox/config.yaml if it exists)")
    .option("--json", "print JSON instead of YAML")
    .action((opts: { config?: string; json?: boolean }) => {
      const loaded = loadConfig(opts.config);
      const shown = redactSecrets(loaded.config);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
        return;
      }
      const from = loaded.file ? `from ${loaded.file}` : "built-in defaults (no config file)";
      process.stdout.write(`# effective config: ${from}\n${stringify(shown)}`);
    });
}
