#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { describeError } from "../errors.js";
import { VERSION } from "../version.js";
import { register as registerChat } from "./chat.js";
import { register as registerConfig } from "./config.js";
import { register as registerDetect } from "./detect.js";
import { register as registerDoctor } from "./doctor.js";
import { register as registerFleet } from "./fleet.js";
import { register as registerModels } from "./models.js";
import { register as registerModelsUse } from "./models-use.js";
import { register as registerRecommend } from "./recommend.js";
import { register as registerSetupCode } from "./setup-code.js";
import { register as registerStart } from "./start.js";
import { register as registerStatus } from "./status.js";
import { register as registerToken } from "./token.js";

/**
 * `clawbox` CLI. Each command lives in its own file and only parses arguments, then calls a module.
 * Errors: a UserError prints its message and fix (exit 1); anything else prints one line (exit 1),
 * with the stack only when CLAWBOX_DEBUG=1.
 */
export function buildProgram(): Command {
  const program = new Command("clawbox")
    .description("A private AI assistant on your own hardware")
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerStart(program);
  registerDetect(program);
  registerRecommend(program);
  const models = program.command("models").description("List, pull, import and switch models");
  registerModels(models);
  registerModelsUse(models);
  registerChat(program);
  registerToken(program);
  registerConfig(program);
  registerDoctor(program);
  registerStatus(program);
  registerSetupCode(program);
  registerFleet(program);
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
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
