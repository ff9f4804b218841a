import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadYamlFile } from "../../agent/src/config/yaml-file.js";
import { ROOT } from "./tools.js";

// The seed file schema (provisioning/seed.schema.json): the example validates, mistakes a user can make
// are rejected with the file, line and key.
const schema = JSON.parse(readFileSync(join(ROOT, "provisioning", "seed.schema.json"), "utf8")) as object;
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
const EXAMPLE = join(ROOT, "provisioning", "clawbox.example.yaml");
const example = () => parse(readFileSync(EXAMPLE, "utf8")) as Record<string, unknown>;

describe("provisioning/seed.schema.json", () => {
  it("accepts the documented example", () => {
    expect(validate(example()), JSON.stringify(validate.errors)).toBe(true);
  });

  it("accepts the minimal seed and a 64-hex-digit PSK as Raspberry Pi Imager writes it", () => {
    expect(validate({ version: 1 })).toBe(true);
    const seed = { version: 1, wifi: [{ ssid: "x", country: "GB", psk: "a".repeat(64) }] };
    expect(validate(seed), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ["an unknown key", { unknown: true }],
    ["an upper-case host name", { hostname: "Clawbox" }],
    ["a 7-character Wi-Fi passphrase", { wifi: [{ ssid: "x", country: "DE", psk: "1234567" }] }],
    ["Wi-Fi without a country", { wifi: [{ ssid: "x", psk: "12345678" }] }],
    ["a plain-text admin password", { admin: { username: "owner", passwordHash: "hunter2hunter2hunter2" } }],
    [
      "an SSH key that is not a public key",
      { ssh: { authorizedKeys: ["-----BEGIN OPENSSH PRIVATE KEY-----"] } },
    ],
  ])("rejects %s", (_what, change) => {
    expect(validate({ ...example(), ...change })).toBe(false);
  });

  it("reports a bad seed with file, line and key path through the agent's YAML loader", () => {
    expect(() =>
      loadYamlFile(join(ROOT, "test", "image", "fixtures", "bad-seed.yaml"), validate, "seed file"),
    ).toThrow(/bad-seed\.yaml:5.*wifi/s);
  });
});
