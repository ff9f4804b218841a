import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..", "..");
/** The project's own code and build files (what a maintainer reads), not third-party or generated ones. */
const DIRS = [
  "agent/src",
  "webui/src",
  "ansible",
  "image",
  "hardware-profiles",
  "provisioning",
  "deploy",
  "test",
];
/** A tracker reference: "issue 4", "(issue 12)", "Issue 3's", "issues 2 and 4". */
const ISSUE_NUMBER = /\bissues? #?\d+/i;

describe("code comments", () => {
  it("state the rule they implement instead of citing a tracker issue number", () => {
    // git ls-files: tracked files only (no node_modules, dist or build output)
    const files = execFileSync("git", ["ls-files", "--", ...DIRS], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter((f) => /\.(ts|tsx|js|mjs|yml|yaml|sh|hcl|md|j2|te|service|conf)$/.test(f));
    expect(files.length).toBeGreaterThan(100);
    const hits: string[] = [];
    for (const file of files) {
      if (file === "test/source/comments-cite-rules.test.ts") continue;
      readFileSync(resolve(ROOT, file), "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (ISSUE_NUMBER.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(hits).toEqual([]);
  });
});
