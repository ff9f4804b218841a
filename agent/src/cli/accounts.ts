import type { Command } from "commander";
import { configDataDir, loadConfig } from "../config/load-config.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { AdminAccounts } from "../setup/admin-accounts.js";
import type { Role } from "../setup/sessions.js";
import { openDatabase } from "../store/database.js";
import { auditFromCli } from "./cli-audit.js";

interface AccountsCliOptions {
  dataDir?: string;
  config?: string;
  role?: string;
}

/** Runs `fn` with the accounts and the audit log of the data dir's database (WAL: safe while the agent runs). */
async function withAccounts<T>(
  opts: AccountsCliOptions,
  fn: (
    accounts: AdminAccounts,
    audit: (action: string, target: string, detail?: string) => void,
  ) => Promise<T> | T,
): Promise<T> {
  const dataDir = opts.dataDir ?? configDataDir(loadConfig(opts.config).config);
  const db = openDatabase(dataDir);
  try {
    return await fn(new AdminAccounts(db), (action, target, detail) =>
      auditFromCli({ db }, action, target, detail),
    );
  } finally {
    db.close();
  }
}

/** The first line of stdin (the password, piped or typed), without its newline. */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("Password (at least 10 characters): ");
  let text = "";
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0]?.replace(/\r$/, "") ?? "";
}

/**
 * `clawbox accounts list | add <name> [--role viewer|admin] | remove <name>`: dashboard accounts from the
 * device's shell. `add` reads the password from stdin (first line) so it never shows in the process list
 * or shell history; a viewer sees status and logs and may chat, nothing else. Each change is written to
 * the audit log as `cli:<user>`. Errors (weak password, name taken, last admin) are UserErrors with a fix.
 */
export function register(program: Command): void {
  const group = program.command("accounts");
  const common = (c: Command) =>
    c
      .option("--data-dir <dir>", "agent data folder (default: config dataDir, $CLAWBOX_DATA_DIR)")
      .option("--config <file>", "config file (default: /etc/clawbox/config.yaml if it exists)");
  common(group.command("list").description("Accounts and their roles")).action(
    async (opts: AccountsCliOptions) => {
      const list = await withAccounts(opts, (a) => a.accounts());
      if (list.length === 0)
        process.stdout.write("No accounts yet (the setup wizard creates the first admin).\n");
      for (const a of list) process.stdout.write(`${a.username}  ${a.role}  since ${a.createdAt}\n`);
    },
  );
  common(
    group
      .command("add")
      .argument("<username>")
      .option("--role <role>", "viewer (status, logs, chat) or admin", "viewer")
      .description("Add an account; the password is read from stdin"),
  ).action(async (username: string, opts: AccountsCliOptions) => {
    const role = opts.role ?? "viewer";
    if (role !== "viewer" && role !== "admin") {
      throw new UserError(`"${role}" is not a role`, {
        code: ErrorCode.INVALID_ROLE,
        fix: "use --role viewer or --role admin",
      });
    }
    const password = await readPassword();
    const account = await withAccounts(opts, async (a, audit) => {
      const made = await a.addAccount(username, password, role as Role);
      audit("account.create", username, `role ${role}`);
      return made;
    });
    process.stdout.write(`Added ${account.username} (${account.role}).\n`);
  });
  common(
    group.command("remove").argument("<username>").description("Remove an account and end its sessions"),
  ).action(async (username: string, opts: AccountsCliOptions) => {
    await withAccounts(opts, (a, audit) => {
      a.removeAccount(username);
      audit("account.remove", username);
    });
    process.stdout.write(`Removed ${username}.\n`);
  });
}
