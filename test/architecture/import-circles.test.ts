import { join } from "node:path";
import madge from "madge";
import { describe, expect, it } from "vitest";

// Rule (ARCHITECTURE.md, "Layout"): each room of agent/src depends on rooms below it, never in a circle.
// Type-only imports count too: a circle through `import type` still ties two rooms together, so shared
// types live in the room's types.ts. madge (detective-typescript) follows `import type` unless told to
// skip it, resolves paths with the agent's tsconfig, and sees `import()` as an edge as well.

const ROOT = join(import.meta.dirname, "..", "..");
const AGENT_SRC = join(ROOT, "agent", "src");

/** Every import circle among agent/src modules (tests and test kits excluded), as "a.ts → b.ts → a.ts". */
async function importCircles(): Promise<{ circles: string[]; modules: number; skipped: string[] }> {
  const graph = await madge(AGENT_SRC, {
    fileExtensions: ["ts"],
    tsConfig: join(ROOT, "agent", "tsconfig.json"),
    excludeRegExp: [/\.test\.ts$/, /-test-kit\.ts$/],
    detectiveOptions: { ts: { skipTypeImports: false }, tsx: { skipTypeImports: false } },
  });
  const circles = graph.circular().map((cycle) => [...cycle, cycle[0]].join(" → "));
  return { circles, modules: Object.keys(graph.obj()).length, skipped: graph.warnings().skipped };
}

describe("agent/src import graph", () => {
  it("has no import circles, type-only imports included", async () => {
    const { circles, modules, skipped } = await importCircles();
    // Guard against a graph that silently lost its edges (wrong tsconfig, wrong extensions).
    expect(modules, "madge found too few modules under agent/src").toBeGreaterThan(100);
    expect(skipped, `madge could not resolve: ${skipped.join(", ")}`).toEqual([]);
    expect(
      circles,
      `import circles in agent/src (move the shared types into the room's types.ts):\n${circles.join("\n")}`,
    ).toEqual([]);
  });
});
