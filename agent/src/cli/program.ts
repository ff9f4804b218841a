import { Command, Help } from "commander";
import { VERSION } from "../version.js";

/** Adds one command file's commands to `parent` (each `agent/src/cli/<name>.ts` exports one). */
type Register = (parent: Command) => void;

/** One top-level command: its name, the term and summary `clawbox --help` lists, and its file's loader. */
interface CommandEntry {
  name: string;
  /** How the command list shows it (name + arguments), e.g. "models <list|pull|import|rm|use>". */
  term: string;
  /** The one description of the command (its file registers it without one). */
  summary: string;
  load: () => Promise<Register>;
}

/**
 * Top-level commands in help order, each with a loader of its command file(s). Command files import
 * the modules they need at their top level, so loading only the invoked one keeps e.g. `clawbox token`
 * from loading node-llama-cpp, fastify and ssh2 (measured on the 2-core dev VM: importing every command
 * file took 0.8–2 s and ~100 MB RSS, node-llama-cpp alone 0.6 s and ~45 MB). `clawbox --help` loads none:
 * it lists the terms and summaries of this table.
 */
const COMMANDS: readonly CommandEntry[] = [
  {
    name: "start",
    term: "start [options]",
    summary: "Start the agent: OpenAI-compatible API on the local model",
    load: async () => (await import("./start.js")).register,
  },
  {
    name: "detect",
    term: "detect [options]",
    summary: "Measure this machine's CPU, memory, GPUs and disk, and show the matching device profile",
    load: async () => (await import("./detect.js")).register,
  },
  {
    name: "recommend",
    term: "recommend [options]",
    summary: "Pick the best local model for this machine (or a saved hardware report) and explain why",
    load: async () => (await import("./recommend.js")).register,
  },
  {
    name: "models",
    term: "models <list|pull|import|rm|use>",
    summary: "List, pull, import and switch models",
    load: async () => {
      const [models, use] = await Promise.all([import("./models.js"), import("./models-use.js")]);
      return (program) => {
        const group = program.command("models");
        models.register(group);
        use.register(group);
      };
    },
  },
  {
    name: "chat",
    term: "chat [options]",
    summary: "Chat with the assistant in the terminal (streaming)",
    load: async () => (await import("./chat.js")).register,
  },
  {
    name: "token",
    term: "token [options]",
    summary: "Print the API token (Authorization: Bearer <token>)",
    load: async () => (await import("./token.js")).register,
  },
  {
    name: "config",
    term: "config <validate|show>",
    summary: "Check and show the agent configuration",
    load: async () => (await import("./config.js")).register,
  },
  {
    name: "doctor",
    term: "doctor [options]",
    summary: "Check Node, config, disk, port, GPU runtime and model — each problem with its fix",
    load: async () => (await import("./doctor.js")).register,
  },
  {
    name: "status",
    term: "status [options]",
    summary: "Show this device's agent version, model, health, uptime, temperature, tokens/s and disk",
    load: async () => (await import("./status.js")).register,
  },
  {
    name: "setup-code",
    term: "setup-code [options]",
    summary: "Print the one-time code for the first-boot web setup",
    load: async () => (await import("./setup-code.js")).register,
  },
  {
    name: "pairing",
    term: "pairing <list|approve|deny>",
    summary: "Approve or deny people who asked to talk to the assistant",
    load: async () => (await import("./pairing.js")).register,
  },
  {
    name: "seed",
    term: "seed import",
    summary: "Headless provisioning from clawbox.yaml on the boot partition",
    load: async () => (await import("./seed.js")).register,
  },
  {
    name: "accounts",
    term: "accounts <list|add|remove>",
    summary: "Dashboard accounts: admins and viewers",
    load: async () => (await import("./accounts.js")).register,
  },
  {
    name: "backup",
    term: "backup <passphrase|create|list|restore>",
    summary: "Encrypted backups: create, list, restore",
    load: async () => (await import("./backup.js")).register,
  },
  {
    name: "fleet",
    term: "fleet <status|update>",
    summary: "Manage many clawbox devices over SSH",
    load: async () => (await import("./fleet.js")).register,
  },
];

/**
 * The command `argv` (process.argv shape: node, script, args…) invokes, when it is one of COMMANDS
 * (`clawbox help <command>` invokes it too); undefined for no command, an option first (`--help`,
 * `--version`), a bare `help` or an unknown name.
 */
function invokedCommand(argv: readonly string[]): CommandEntry | undefined {
  const name = argv[2] === "help" ? argv[3] : argv[2];
  return COMMANDS.find((c) => c.name === name);
}

/**
 * `clawbox` CLI. Each command lives in its own file and only parses arguments, then calls a module.
 * Only the command file of the invoked command is loaded; without one (help, version, typos) none is:
 * every command is listed from COMMANDS (commander still suggests the nearest name for a typo).
 * Errors: a UserError prints its message and fix (exit 1); anything else prints one line (exit 1),
 * with the stack only when CLAWBOX_DEBUG=1.
 */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command("clawbox")
    .description("A private AI assistant on your own hardware")
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  const invoked = invokedCommand(argv);
  if (invoked) {
    (await invoked.load())(program);
    program.commands.find((c) => c.name() === invoked.name)?.description(invoked.summary);
    return program;
  }
  const terms = new Map(COMMANDS.map((c) => [c.name, c.term]));
  const help = new Help();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? help.subcommandTerm(cmd) });
  for (const c of COMMANDS) program.command(c.name).description(c.summary);
  return program;
}
