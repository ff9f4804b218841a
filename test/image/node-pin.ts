import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "./tools.js";

/**
 * The Node runtime the device runs: `clawbox_agent_node_version` from the agent role's defaults
 * (ansible/roles/agent/defaults/main.yml), the one pin that image/node-runtime.sh (release builds) and the
 * role (image, fleet) both read. Returns e.g. "24.22.3"; throws when the key is missing or not x.y.z.
 */
export function pinnedNodeVersion(): string {
  const defaults = parse(readFileSync(join(ROOT, "ansible/roles/agent/defaults/main.yml"), "utf8")) as {
    clawbox_agent_node_version?: unknown;
  };
  const v = defaults.clawbox_agent_node_version;
  if (typeof v !== "string" || !/^\d+\.\d+\.\d+$/.test(v)) {
    throw new Error(`clawbox_agent_node_version in the agent role's defaults is not x.y.z: ${String(v)}`);
  }
  return v;
}
