import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { defaultCataloguePath, findByFileName, findModel, loadCatalogue } from "./catalogue.js";
import { QUANT_TYPES } from "./types.js";

const tmp = mkdtempSync(join(tmpdir(), "clawbox-catalogue-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes `text` as catalogue.yaml next to a copy of the real schema and returns the UserError it raises. */
function errorOf(text: string): UserError {
  const file = join(tmp, "catalogue.yaml");
  copyFileSync(
    join(defaultCataloguePath(), "..", "catalogue.schema.json"),
    join(tmp, "catalogue.schema.json"),
  );
  writeFileSync(file, text);
  try {
    loadCatalogue(file);
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error("expected a UserError");
}

const realText = readFileSync(defaultCataloguePath(), "utf8");

describe("loadCatalogue", () => {
  const catalogue = loadCatalogue();

  it("has at least 12 models from ~135M to ~8B parameters", () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(12);
    const params = catalogue.map((m) => m.parameters);
    expect(Math.min(...params)).toBeLessThan(200e6);
    expect(Math.max(...params)).toBeGreaterThan(7e9);
    for (const id of [
      "smollm2-135m-instruct",
      "qwen2.5-1.5b-instruct",
      "qwen3-8b",
      "gemma-3-1b-it",
      "phi-4-mini-instruct",
    ])
      expect(findModel(catalogue, id), id).toBeDefined();
  });

  it("gives every model at least 4 quantisation types whose sizes grow with the bits", () => {
    for (const model of catalogue) {
      expect(model.files.length, model.id).toBeGreaterThanOrEqual(4);
      const sorted = [...model.files].sort(
        (a, b) => QUANT_TYPES.indexOf(a.quant) - QUANT_TYPES.indexOf(b.quant),
      );
      for (let i = 1; i < sorted.length; i++)
        expect(sorted[i]?.fileBytes, `${model.id} ${sorted[i]?.quant}`).toBeGreaterThan(
          sorted[i - 1]?.fileBytes ?? 0,
        );
      for (const f of model.files) {
        expect(f.uri).toMatch(/^hf:[^/]+\/[^/]+\/.+\.gguf$/);
        if (!f.sizeVerified) expect(f.sizeSource, `${model.id} ${f.quant} needs a sizeSource`).toBeTruthy();
      }
    }
  });

  it("says which models cover Chinese (the Qwen family does)", () => {
    for (const m of catalogue.filter((m) => m.id.startsWith("qwen"))) expect(m.languages).toContain("zh");
    expect(findModel(catalogue, "smollm2-135m-instruct")?.languages).not.toContain("zh");
  });

  it("describes Gemma 3's sliding window", () => {
    const gemma = findModel(catalogue, "gemma-3-1b-it");
    expect(gemma?.architecture.slidingWindow).toBe(512);
    expect(gemma?.architecture.slidingWindowFraction).toBeCloseTo(5 / 6, 3);
  });

  it("finds a model by its file name", () => {
    expect(findByFileName(catalogue, "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf")?.model.id).toBe(
      "qwen2.5-1.5b-instruct",
    );
    expect(findByFileName(catalogue, "nope.gguf")).toBeUndefined();
  });
});

describe("catalogue errors name file, line and key", () => {
  it("reports an unknown key with its line", () => {
    const text = realText.replace(
      '    licence: "Apache-2.0"\n',
      '    licence: "Apache-2.0"\n    licnese: MIT\n',
    );
    const line = text.split("\n").findIndex((l) => l.includes("licnese")) + 1;
    const err = errorOf(text);
    expect(err.message).toContain(`catalogue.yaml:${line}: models.0.licnese is not a known key`);
  });

  it("reports a wrong value type with its line", () => {
    const text = realText.replace("fileBytes: 88000000", "fileBytes: lots");
    const line = text.split("\n").findIndex((l) => l.includes("fileBytes: lots")) + 1;
    const err = errorOf(text);
    expect(err.message).toContain(`:${line}: models.0.files.0.fileBytes must be integer`);
  });

  it("reports a repeated model id", () => {
    const text = realText.replace("id: smollm2-360m-instruct", "id: smollm2-135m-instruct");
    const line = text.split("\n").findIndex((l, i) => i > 20 && l.includes("id: smollm2-135m-instruct")) + 1;
    const err = errorOf(text);
    expect(err.message).toContain(`:${line}: models.1.id repeats the model id "smollm2-135m-instruct"`);
  });
});
