import { describe, expect, it } from "vitest";
import { buildProgram } from "./program.js";

const argv = (...args: string[]) => ["node", "clawbox", ...args];

describe("clawbox command table", () => {
  it("help lists every command with its arguments and summary, without loading a command file", async () => {
    const program = await buildProgram(argv("--help"));
    const help = program.helpInformation();
    for (const term of ["start [options]", "models <list|pull|import|rm|use>", "fleet <status|update>"])
      expect(help).toContain(term);
    // stubs: no command file was loaded, so no command has options or subcommands yet
    expect(program.commands.every((c) => c.options.length === 0 && c.commands.length === 0)).toBe(true);
  });

  it("an invoked command gets its file's definition and the table's summary", async () => {
    const program = await buildProgram(argv("pairing", "list"));
    const pairing = program.commands.find((c) => c.name() === "pairing");
    expect(pairing?.description()).toBe("Approve or deny people who asked to talk to the assistant");
    expect(pairing?.commands.map((c) => c.name())).toEqual(["list", "approve", "deny"]);
    const helpFor = await buildProgram(argv("help", "models"));
    expect(helpFor.commands.find((c) => c.name() === "models")?.commands.map((c) => c.name())).toContain(
      "pull",
    );
  });
});
