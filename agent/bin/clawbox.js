#!/usr/bin/env node
// The `clawbox` command. npm links a workspace's bins while it installs, before `prepare` builds
// agent/dist, so the bin must be a file that is in the repository: this one loads the built CLI.
try {
  await import("../dist/cli/main.js");
} catch (err) {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli/main.js")) {
    process.stderr.write(
      "clawbox: the agent is not built yet — fix: run `npm run build` in the repository\n",
    );
    process.exitCode = 1;
  } else {
    throw err;
  }
}
