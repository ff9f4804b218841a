import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { loadYamlFile } from "../config/yaml-file.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import { hardwareProfilesDir } from "../paths.js";
import type { CatalogueFile, CatalogueModel, QuantType } from "./types.js";

interface CatalogueDocument {
  schemaVersion: 1;
  models: CatalogueModel[];
}

/** Default catalogue path: `<hardwareProfilesDir()>/catalogue.yaml` (honours CLAWBOX_PROFILES_DIR). */
export function defaultCataloguePath(): string {
  return join(hardwareProfilesDir(), "catalogue.yaml");
}

/**
 * Loads and validates the model catalogue (`hardware-profiles/catalogue.yaml` against
 * `catalogue.schema.json`, which sits in the same folder as the file).
 * Returns the models in file order.
 * Throws UserError naming file:line, the key path and the reason when the file is unreadable, not YAML,
 * fails the schema, repeats a model id or a quantisation type, or has a `fileName` that is not the last
 * part of its `uri`.
 */
export function loadCatalogue(file: string = defaultCataloguePath()): CatalogueModel[] {
  const schemaPath = join(file, "..", "catalogue.schema.json");
  let schema: object;
  try {
    schema = JSON.parse(readFileSync(schemaPath, "utf8")) as object;
  } catch (err) {
    throw new UserError(`cannot read the catalogue schema ${schemaPath}`, {
      code: ErrorCode.FILE_ERROR,
      fix: "keep catalogue.schema.json next to catalogue.yaml (both ship in hardware-profiles/)",
      cause: err,
    });
  }
  const validate = new Ajv({ allErrors: true }).compile<CatalogueDocument>(schema);
  const doc = loadYamlFile(file, validate, "model catalogue");
  checkSemantics(doc, file);
  return doc.models;
}

/** Checks the schema cannot express; errors name file:line and the key path like the schema errors. */
function checkSemantics(doc: CatalogueDocument, file: string): void {
  const seen = new Set<string>();
  doc.models.forEach((model, i) => {
    if (seen.has(model.id))
      fail(
        file,
        ["models", String(i), "id"],
        `repeats the model id "${model.id}"`,
        "give every model its own id",
      );
    seen.add(model.id);
    const quants = new Set<QuantType>();
    model.files.forEach((f, j) => {
      const path = ["models", String(i), "files", String(j)];
      if (quants.has(f.quant))
        fail(
          file,
          [...path, "quant"],
          `repeats ${f.quant} for ${model.id}`,
          "list each quantisation type once",
        );
      quants.add(f.quant);
      if (!f.uri.endsWith(`/${f.fileName}`))
        fail(
          file,
          [...path, "fileName"],
          `"${f.fileName}" is not the last part of uri ${f.uri}`,
          "make fileName equal the file part of the hf: URI",
        );
    });
  });
}

function fail(file: string, path: string[], reason: string, fix: string): never {
  const line = lineOf(file, path);
  throw new UserError(`model catalogue ${file}${line ? `:${line}` : ""}: ${path.join(".")} ${reason}`, {
    code: ErrorCode.YAML_INVALID,
    fix,
  });
}

/** 1-based line of the key at `path` (or its deepest existing parent). */
function lineOf(file: string, path: string[]): number | null {
  const lc = new LineCounter();
  const doc = parseDocument(readFileSync(file, "utf8"), { lineCounter: lc });
  let node = doc.contents as YamlNode | null | undefined;
  let line: number | null = null;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value) === key);
      if (!pair) break;
      const k = pair.key as YamlNode | undefined;
      if (k?.range) line = lc.linePos(k.range[0]).line;
      node = pair.value as YamlNode | null;
    } else if (isSeq(node)) {
      node = node.items[Number(key)] as YamlNode | undefined;
      if (node?.range) line = lc.linePos(node.range[0]).line;
    } else break;
  }
  return line;
}

/** The catalogue model with this id, or undefined. */
export function findModel(catalogue: CatalogueModel[], id: string): CatalogueModel | undefined {
  return catalogue.find((m) => m.id === id.toLowerCase());
}

/** The model and file whose `fileName` is `fileName` (a GGUF in the store), or undefined. */
export function findByFileName(
  catalogue: CatalogueModel[],
  fileName: string,
): { model: CatalogueModel; file: CatalogueFile } | undefined {
  for (const model of catalogue) {
    const file = model.files.find((f) => f.fileName === fileName);
    if (file) return { model, file };
  }
  return undefined;
}
