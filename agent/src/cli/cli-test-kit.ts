import { Command } from "commander";
import { vi } from "vitest";

/**
 * Runs `clawbox <args>` in this process with only the commands `register` adds (the command files'
 * `register(program)`), capturing what they write. `register` receives the root program; for a group such
 * as `models`, register on `program.command("models")` inside it. Commander errors throw (exitOverride).
 * Returns stdout and stderr as written.
 */
export async function runCommand(
  register: (program: Command) => void,
  ...args: string[]
): Promise<{ out: string; err: string }> {
  const program = new Command("clawbox").exitOverride();
  register(program);
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => {
    out += String(c);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => {
    err += String(c);
    return true;
  });
  try {
    await program.parseAsync(["node", "clawbox", ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { out, err };
}
