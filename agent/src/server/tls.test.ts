import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../config/load-config.js";
import { UserError } from "../errors.js";
import { loadTls } from "./tls.js";

const tmp = mkdtempSync(join(tmpdir(), "clawbox-tls-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cert = join(tmp, "cert.pem");
const key = join(tmp, "key.pem");
// A self-signed certificate like the image's first boot makes (openssl is part of Debian's base system).
execFileSync(
  "openssl",
  [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "1",
    "-subj",
    "/CN=clawbox-test",
  ],
  { stdio: "ignore" },
);

describe("loadTls", () => {
  it("is off without configured or device files", () => {
    expect(loadTls(defaultConfig(), { cert: join(tmp, "none.pem"), key: join(tmp, "none.key") })).toBeNull();
  });

  it("uses the device files when present and gives the SHA-256 fingerprint as openssl prints it", () => {
    const tls = loadTls(defaultConfig(), { cert, key });
    const openssl = execFileSync("openssl", ["x509", "-in", cert, "-noout", "-fingerprint", "-sha256"], {
      encoding: "utf8",
    });
    expect(`sha256 Fingerprint=${tls?.fingerprint}`.toLowerCase()).toBe(openssl.trim().toLowerCase());
  });

  it("honours server.tls (and enabled: false), and names unreadable files", () => {
    const config = defaultConfig();
    config.server.tls = { cert, key, enabled: false };
    expect(loadTls(config, { cert, key })).toBeNull();
    config.server.tls = { cert: key, key };
    expect(() => loadTls(config)).toThrow(UserError);
  });
});
