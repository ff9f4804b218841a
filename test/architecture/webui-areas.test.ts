import { readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { join } from "node:path";
import madge from "madge";
import { describe, expect, it } from "vitest";

// Rule (README, "Layout"): the web app's two areas, webui/src/wizard and webui/src/dashboard, never import
// each other, and the shared modules (components/, bridges/, i18n/, state.ts, api.ts, api-types.ts) import
// neither; only the app shell (app.tsx, main.tsx) picks which area shows. What both areas use lives in
// components/, app-wide signals in state.ts, shared API shapes in api-types.ts. Type-only imports count too.
// The agent modules the web app imports (one list of setup steps, byte formats, reason texts) run in the
// browser, so they import no Node built-ins (npm packages vite can bundle for the browser are fine).

const ROOT = join(import.meta.dirname, "..", "..");
const WEBUI_SRC = join(ROOT, "webui", "src");
const AREAS = ["wizard", "dashboard"] as const;
/** The app shell: the only modules that may import both areas. */
const SHELL = new Set(["app.tsx", "main.tsx"]);

/** The area of a module path relative to webui/src ("wizard/steps-connect.tsx" → "wizard"), or null. */
function areaOf(module: string): (typeof AREAS)[number] | null {
  return AREAS.find((area) => module.startsWith(`${area}/`)) ?? null;
}

/** Every import that crosses from one area into the other, or from a shared module into an area. */
function forbiddenImports(graph: Record<string, string[]>): string[] {
  const hits: string[] = [];
  for (const [from, deps] of Object.entries(graph)) {
    if (SHELL.has(from)) continue;
    const own = areaOf(from);
    for (const dep of deps) {
      const target = areaOf(dep);
      if (target && target !== own) hits.push(`${from} → ${dep}`);
    }
  }
  return hits;
}

/** webui/src's import graph (paths relative to webui/src; agent modules as "../../agent/src/…"). */
async function webuiGraph(): Promise<{ graph: Record<string, string[]>; skipped: string[] }> {
  const result = await madge(WEBUI_SRC, {
    fileExtensions: ["ts", "tsx"],
    tsConfig: join(ROOT, "webui", "tsconfig.json"),
    detectiveOptions: { ts: { skipTypeImports: false }, tsx: { skipTypeImports: false } },
  });
  return { graph: result.obj(), skipped: result.warnings().skipped };
}

describe("webui/src import graph", () => {
  it("keeps the wizard and the dashboard apart; shared modules import neither", async () => {
    const { graph, skipped } = await webuiGraph();
    // Guard against a graph that silently lost its edges (wrong tsconfig, wrong extensions).
    const modules = Object.keys(graph);
    expect(modules.filter((m) => areaOf(m) === "wizard").length, "too few wizard modules").toBeGreaterThan(5);
    expect(
      modules.filter((m) => areaOf(m) === "dashboard").length,
      "too few dashboard modules",
    ).toBeGreaterThan(5);
    expect(graph["dashboard/settings.tsx"], "madge lost the dashboard's edges").toContain(
      "components/copy-box.tsx",
    );
    expect(skipped, `madge could not resolve: ${skipped.join(", ")}`).toEqual([]);
    const hits = forbiddenImports(graph);
    expect(
      hits,
      `imports between wizard/ and dashboard/ (move what both use to webui/src/components/, state.ts or api-types.ts):\n${hits.join("\n")}`,
    ).toEqual([]);
  });

  it("flags a crossing in either direction and from a shared module", () => {
    expect(
      forbiddenImports({
        "app.tsx": ["wizard/wizard.tsx", "dashboard/dashboard.tsx"],
        "dashboard/settings.tsx": ["wizard/steps-connect.tsx", "components/copy-box.tsx"],
        "wizard/wizard.tsx": ["dashboard/models.tsx", "wizard/steps-model.tsx"],
        "components/copy-box.tsx": ["wizard/types.ts"],
      }),
    ).toEqual([
      "dashboard/settings.tsx → wizard/steps-connect.tsx",
      "wizard/wizard.tsx → dashboard/models.tsx",
      "components/copy-box.tsx → wizard/types.ts",
    ]);
  });

  it("imports agent modules that run in a browser (no Node built-ins)", async () => {
    const { graph } = await webuiGraph();
    const agentModules = [...new Set(Object.values(graph).flat())].filter((m) =>
      m.startsWith("../../agent/"),
    );
    expect(agentModules, "the web app should share the agent's list of setup steps").toContain(
      "../../agent/src/setup/steps.ts",
    );
    const hits: string[] = [];
    for (const module of agentModules) {
      const source = readFileSync(join(WEBUI_SRC, module), "utf8");
      for (const [, specifier] of source.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
        if (specifier && isBuiltin(specifier)) hits.push(`${module} imports ${specifier}`);
      }
    }
    expect(hits).toEqual([]);
  });
});
