import type { Command } from "commander";
import { configDataDir, loadConfig } from "../config/load-config.js";
import { PairingStore } from "../pairing/pairing-store.js";
import { openDatabase } from "../store/database.js";
import { auditFromCli } from "./cli-audit.js";

interface PairingCliOptions {
  dataDir?: string;
  config?: string;
}

/**
 * Runs `fn` with a PairingStore on the data dir's database (WAL: safe while the agent runs); `audit`
 * records the owner's decision in the audit log.
 */
function withStore<T>(
  opts: PairingCliOptions,
  fn: (store: PairingStore, audit: (action: string, target: string) => void) => T,
): T {
  const dataDir = opts.dataDir ?? configDataDir(loadConfig(opts.config).config);
  const db = openDatabase(dataDir);
  try {
    return fn(new PairingStore(db), (action, target) => auditFromCli({ db }, action, target));
  } finally {
    db.close();
  }
}

/**
 * `clawbox pairing list | approve <bridge-id> <code> | deny <bridge-id> <code> [--data-dir D] [--config F]`:
 * the owner's side of pairing. `list` prints pending codes (bridge, code, sender, expiry) and approved
 * senders; `approve` lets that sender talk to the model; `deny` drops the code. Unknown or expired codes
 * fail with a UserError (`pairing_unknown`) that says how to find the right one.
 */
export function register(program: Command): void {
  const group = program.command("pairing");
  const common = (c: Command) =>
    c
      .option(
        "--data-dir <dir>",
        "agent data folder (default: config dataDir, $CLAWBOX_DATA_DIR, ~/.local/share/clawbox)",
      )
      .option("--config <file>", "config file (default: /etc/clawbox/config.yaml if it exists)");
  common(group.command("list").description("Pending pairing codes and approved senders")).action(
    (opts: PairingCliOptions) => {
      const { pending, approved } = withStore(opts, (s) => ({ pending: s.list(), approved: s.approved() }));
      if (pending.length === 0) process.stdout.write("No pending pairing codes.\n");
      else {
        process.stdout.write("Pending (approve with: clawbox pairing approve <bridge-id> <code>):\n");
        for (const p of pending) {
          const who = p.senderName ? `${p.senderName} (${p.senderId})` : p.senderId;
          process.stdout.write(`  ${p.bridgeId}  ${p.code}  ${who}  expires ${p.expiresAt}\n`);
        }
      }
      if (approved.length > 0) {
        process.stdout.write("Approved:\n");
        for (const a of approved) {
          const who = a.senderName ? `${a.senderName} (${a.senderId})` : a.senderId;
          process.stdout.write(`  ${a.bridgeId}  ${who}  since ${a.approvedAt}\n`);
        }
      }
    },
  );
  common(
    group
      .command("approve")
      .argument("<bridge-id>")
      .argument("<code>")
      .description("Let this sender talk to the assistant"),
  ).action((bridgeId: string, code: string, opts: PairingCliOptions) => {
    const req = withStore(opts, (s, audit) => {
      const approved = s.approve(bridgeId, code);
      audit("pairing.approve", `${bridgeId}/${code}`);
      return approved;
    });
    process.stdout.write(`Approved ${req.senderName ?? req.senderId} on ${bridgeId}.\n`);
  });
  common(
    group
      .command("deny")
      .argument("<bridge-id>")
      .argument("<code>")
      .description("Refuse this pairing request"),
  ).action((bridgeId: string, code: string, opts: PairingCliOptions) => {
    const req = withStore(opts, (s, audit) => {
      const denied = s.deny(bridgeId, code);
      audit("pairing.deny", `${bridgeId}/${code}`);
      return denied;
    });
    process.stdout.write(`Denied ${req.senderName ?? req.senderId} on ${bridgeId}.\n`);
  });
}
