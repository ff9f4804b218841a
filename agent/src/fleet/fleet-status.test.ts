import { describe, expect, it } from "vitest";
import { shellQuote, statusCommand } from "./fleet-status.js";
import type { InventoryHost } from "./inventory.js";

const host = (user: string, vars: Record<string, unknown> = {}): InventoryHost => ({
  name: "pi",
  address: "10.0.0.1",
  port: 22,
  user,
  groups: ["all"],
  vars,
});

describe("statusCommand", () => {
  it("runs the light status entry of the current release through sudo (root opens the sealed token)", () => {
    expect(statusCommand(host("admin"))).toBe(
      "sudo -n -- /opt/clawbox/node/bin/node /opt/clawbox/current/agent/dist/fleet/status-main.js --data-dir /var/lib/clawbox",
    );
  });

  it("needs no sudo as root or with clawbox_update_become false, and follows the path variables", () => {
    const vars = { clawbox_agent_root: "/srv/dev 1/opt", clawbox_agent_data_dir: "/srv/dev 1/data" };
    expect(statusCommand(host("root", vars))).toBe(
      "'/srv/dev 1/opt/node/bin/node' '/srv/dev 1/opt/current/agent/dist/fleet/status-main.js' --data-dir '/srv/dev 1/data'",
    );
    expect(statusCommand(host("ops", { clawbox_update_become: false }))).not.toContain("sudo");
  });

  it("runs the full CLI with a cli path, or the inventory's own command", () => {
    expect(statusCommand(host("root"), "/opt/clawbox/current/agent/dist/cli/main.js")).toBe(
      "/opt/clawbox/node/bin/node /opt/clawbox/current/agent/dist/cli/main.js status --json --data-dir /var/lib/clawbox",
    );
    expect(statusCommand(host("admin", { clawbox_status_command: "clawbox status --json" }))).toBe(
      "clawbox status --json",
    );
  });

  it("quotes for a POSIX shell", () => {
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("/plain/path-1.2")).toBe("/plain/path-1.2");
  });
});
