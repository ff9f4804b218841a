import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { ROOT } from "./tools.js";

// image/polkit/50-clawbox.rules evaluated the way polkitd does: the file calls polkit.addRule(fn) and
// polkitd asks fn(action, subject) for a decision. Result constants are polkit's own strings.
type Rule = (action: { id: string }, subject: { user: string }) => string;
const Result = { YES: "yes", NO: "no", NOT_HANDLED: null as unknown as string };

function loadRules(): Rule[] {
  const rules: Rule[] = [];
  const source = readFileSync(join(ROOT, "image", "polkit", "50-clawbox.rules"), "utf8");
  runInNewContext(source, { polkit: { addRule: (r: Rule) => rules.push(r), Result } });
  return rules;
}

const decide = (actionId: string, user: string) => loadRules()[0]?.({ id: actionId }, { user });

describe("polkit rules for the clawbox user", () => {
  it.each([
    "org.freedesktop.hostname1.set-static-hostname",
    "org.freedesktop.hostname1.set-hostname",
    "org.freedesktop.timedate1.set-timezone",
    "org.freedesktop.NetworkManager.settings.modify.system",
    "org.freedesktop.NetworkManager.network-control",
  ])("lets the agent %s", (id) => {
    expect(decide(id, "clawbox")).toBe("yes");
  });

  it.each([
    "org.freedesktop.systemd1.manage-units",
    "org.freedesktop.login1.reboot",
    "org.freedesktop.timedate1.set-time",
    "org.freedesktop.udisks2.filesystem-mount",
    "org.freedesktop.policykit.exec",
  ])("refuses the agent %s", (id) => {
    expect(decide(id, "clawbox")).toBe("no");
  });

  it("leaves every other user to the default policy", () => {
    expect(decide("org.freedesktop.hostname1.set-static-hostname", "admin")).toBeNull();
  });

  it("is one rule written in ES5 (Debian 12's polkit runs duktape)", () => {
    expect(loadRules()).toHaveLength(1);
    const source = readFileSync(join(ROOT, "image", "polkit", "50-clawbox.rules"), "utf8");
    expect(source).not.toMatch(/\b(const|let)\b|=>|`/);
  });
});
