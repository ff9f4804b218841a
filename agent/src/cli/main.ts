#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { describeError } from "../errors.js";
import { VERSION } from "../version.js";

/** Adds one command file's commands to `parent` (each `agent/src/cli/<name>.ts` exports one). */
type Register = (parent: Command) => void;

/**
 * Top-level commands in help order, each with a loader of its command file(s). Command files import
 * the modules they need at their top level, so loading only the invoked one keeps e.g. `clawbox token`
 * from loading node-llama-cpp, fastify and ssh2 (measured on the 2-core dev VM: importing every command
 * file took 0.8–2 s and ~100 MB RSS, node-llama-cpp alone 0.6 s and ~45 MB).
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  ["start", async () => (await import("./start.js")).register],
  ["detect", async () => (await import("./detect.js")).register],
  ["recommend", async () => (await import("./recommend.js")).register],
  [
    "models",
    async () => {
      const [models, use] = await Promise.all([import("./models.js"), import("./models-use.js")]);
      return (program) => {
        const group = program.command("models").description("List, pull, import and switch models");
        models.register(group);
        use.register(group);
      };
    },
  ],
  ["chat", async () => (await import("./chat.js")).register],
  ["token", async () => (await import("./token.js")).register],
  ["config", async () => (await import("./config.js")).register],
  ["doctor", async () => (await import("./doctor.js")).register],
  ["status", async () => (await import("./status.js")).register],
  ["setup-code", async () => (await import("./setup-code.js")).register],
  ["pairing", async () => (await import("./pairing.js")).register],
  ["fleet", async () => (await import("./fleet.js")).register],
  ["seed", async () => (await import("./seed.js")).register],
];

/**
 * The command `argv` (process.argv shape: node, script, args…) invokes, when it is one of COMMANDS;
 * undefined for no command, an option first (`--help`, `--version`), `help` or an unknown name.
 */
function invokedCommand(argv: readonly string[]): string | undefined {
  const first = argv[2];
  return COMMANDS.some(([name]) => name === first) ? first : undefined;
}

/**
 * `clawbox` CLI. Each command lives in its own file and only parses arguments, then calls a module.
 * Only the command file of the invoked command is loaded; without one (help, version, typos) all are,
 * so help lists every command and commander can suggest the nearest name.
 * Errors: a UserError prints its message and fix (exit 1); anything else prints one line (exit 1),
 * with the stack only when CLAWBOX_DEBUG=1.
 */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command("clawbox")
    .description("A private AI assistant on your own hardware")
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  const only = invokedCommand(argv);
  const wanted = COMMANDS.filter(([name]) => only === undefined || name === only);
  const registers = await Promise.all(wanted.map(([, load]) => load()));
  for (const register of registers) register(program);
  return program;
}

async function main(): Promise<void> {
  try {
    await (await buildProgram(process.argv)).parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`clawbox: ${describeError(err)}\n`);
    if (process.env.CLAWBOX_DEBUG === "1" && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  }
}

await main();
