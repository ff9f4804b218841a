import { defineConfig } from "vitest/config";

// One runner for module tests (agent/src/**/*.test.ts) and cross-cutting tests (test/**/*.test.ts).
// Tests that load a model or start servers are slow on a 2-core machine: forks pool, two at a time.
export default defineConfig({
  test: {
    include: ["agent/src/**/*.test.ts", "test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
