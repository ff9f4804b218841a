import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./paths.js";

/** Logs one event with the built log.ts in a child process, returning what reached stderr. */
const LOG_ONE = `import(${JSON.stringify(join(REPO_ROOT, "agent", "dist", "log.js"))}).then(({ createLogger }) =>
  createLogger().info({ bridge: "irc-lan", token: "s3cret" }, "bridge connected"))`;

function stderrOf(env: Record<string, string>): string {
  const r = spawnSync(process.execPath, ["-e", LOG_ONE], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  return r.stderr;
}

describe("log destination", () => {
  it("writes one JSON event per line when stderr is not a terminal (systemd, pipes)", () => {
    const lines = stderrOf({ CLAWBOX_LOG_FORMAT: "" }).trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ msg: "bridge connected", token: "[redacted]" });
  });

  it("is one readable line on a terminal, secrets still redacted", () => {
    // util-linux `script` runs the child on a pseudo-terminal, as a person's shell does
    const out = execFileSync("script", ["-qec", `${process.execPath} -e '${LOG_ONE}'`, "/dev/null"], {
      env: { ...process.env, CLAWBOX_LOG_FORMAT: "", NO_COLOR: "1" },
      encoding: "utf8",
    });
    const line = out.trim();
    expect(line).toMatch(/INFO.*bridge connected/);
    expect(line).not.toMatch(/^\{/);
    expect(line).not.toContain("s3cret");
  });

  it("CLAWBOX_LOG_FORMAT=pretty forces the readable form", () => {
    expect(stderrOf({ CLAWBOX_LOG_FORMAT: "pretty" })).toMatch(/INFO.*bridge connected.*\[redacted\]/);
  });
});
