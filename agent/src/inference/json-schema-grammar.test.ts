import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { toGrammarSchema } from "./json-schema-grammar.js";

describe("toGrammarSchema", () => {
  it("keeps what the grammar enforces, renames anyOf to oneOf and drops annotations", () => {
    const out = toGrammarSchema(
      {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        title: "Verdict",
        type: "object",
        properties: {
          answer: { enum: ["yes", "no"] },
          note: { anyOf: [{ type: "string", maxLength: 8 }, { type: "null" }], default: null },
          tags: { type: "array", items: { $ref: "#/$defs/tag" }, maxItems: 3 },
        },
        required: ["answer"],
        additionalProperties: false,
        $defs: { tag: { type: "string", format: "date" } },
      },
      "response_format.json_schema.schema",
    );
    expect(out).toEqual({
      type: "object",
      properties: {
        answer: { enum: ["yes", "no"] },
        note: { oneOf: [{ type: "string", maxLength: 8 }, { type: "null" }] },
        tags: { type: "array", items: { $ref: "#/$defs/tag" }, maxItems: 3 },
      },
      required: ["answer"],
      additionalProperties: false,
      $defs: { tag: { type: "string", format: "date" } },
    });
  });

  it.each([
    [{ type: "string", pattern: "^a" }, 'param uses "pattern"'],
    [{ type: "object", properties: { n: { type: "integer", minimum: 1 } } }, "param.properties.n"],
    [{ allOf: [{ type: "string" }] }, '"allOf"'],
    [{ type: "string", format: "email" }, '"email" cannot be enforced'],
    [{ $ref: "#/definitions/x" }, 'must point into "#/$defs/"'],
    [{ type: ["object", "null"] }, "use anyOf for object or array alternatives"],
  ])("refuses %j with a 400 naming where", (schema, words) => {
    let thrown: unknown;
    try {
      toGrammarSchema(schema, "param");
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UserError);
    expect((thrown as UserError).status).toBe(400);
    expect((thrown as UserError).message).toContain(words);
  });
});
