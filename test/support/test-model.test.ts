import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { SHARED_TEST_MODEL_PATH, testModelKind, testModelPath } from "./test-model.js";

describe("testModelPath", () => {
  it("returns a generated GGUF in the temp dir when CLAWBOX_TEST_MODEL=generated", async () => {
    const env = { CLAWBOX_TEST_MODEL: "generated" };
    expect(testModelKind(env)).toBe("generated");
    const path = await testModelPath(env);
    expect(path.startsWith(tmpdir())).toBe(true);
    expect(existsSync(path)).toBe(true);
  });

  it("prefers the shared story model when it exists", async () => {
    const kind = testModelKind({});
    expect(kind).toBe(existsSync(SHARED_TEST_MODEL_PATH) ? "shared" : "generated");
    if (kind === "shared") expect(await testModelPath({})).toBe(SHARED_TEST_MODEL_PATH);
  });
});
