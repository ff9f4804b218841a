import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { parseYamlText } from "./yaml-file.js";

const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile<{ server: { port: number } }>({
  type: "object",
  additionalProperties: false,
  properties: {
    server: {
      type: "object",
      additionalProperties: false,
      properties: { port: { type: "integer", minimum: 1, maximum: 65535 } },
    },
  },
});

function errorOf(text: string): UserError {
  try {
    parseYamlText(text, "/etc/clawbox/config.yaml", validate, "config");
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error("expected a UserError");
}

describe("parseYamlText", () => {
  it("returns valid documents", () => {
    expect(parseYamlText("server:\n  port: 8080\n", "f.yaml", validate)).toEqual({ server: { port: 8080 } });
  });

  it("names file, line and key of an unknown key", () => {
    const err = errorOf("server:\n  port: 8080\n  prot: 1\n");
    expect(err.message).toBe("config /etc/clawbox/config.yaml:3: server.prot is not a known key");
    expect(err.fix).toMatch(/remove or rename server\.prot/);
  });

  it("names the line of a wrong value", () => {
    const err = errorOf("server:\n  port: 70000\n");
    expect(err.message).toContain(":2: server.port must be <= 65535");
  });

  it("reports YAML syntax errors with line and column", () => {
    const err = errorOf("server:\n  port: [1,\n");
    expect(err.code).toBe("yaml_syntax");
    expect(err.message).toMatch(/config\.yaml:\d+:\d+: YAML syntax error/);
  });
});
