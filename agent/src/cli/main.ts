#!/usr/bin/env node
import { CommanderError } from "commander";
import { describeError } from "../errors.js";
import { buildProgram } from "./program.js";

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
