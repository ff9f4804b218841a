import { createHash, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { ClawboxConfig } from "../config/config-schema.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";

/** Where the image's first-boot service writes the self-signed certificate and key. */
export const DEVICE_TLS_CERT = "/etc/clawbox/tls/cert.pem";
export const DEVICE_TLS_KEY = "/etc/clawbox/tls/key.pem";

/** A loaded certificate + key and the certificate's fingerprint. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 of the DER certificate, "AB:CD:…" as browsers and `openssl x509 -fingerprint -sha256` show it. */
  fingerprint: string;
}

/**
 * The TLS files to serve HTTPS with: `config.server.tls` when set and enabled, else the device files
 * (DEVICE_TLS_CERT/KEY) when both exist, else null (plain HTTP, e.g. development on 127.0.0.1).
 * Throws UserError (`tls_error`) when configured files cannot be read or the certificate does not parse.
 */
export function loadTls(
  config: ClawboxConfig,
  device: { cert: string; key: string } = { cert: DEVICE_TLS_CERT, key: DEVICE_TLS_KEY },
): TlsFiles | null {
  const configured = config.server.tls;
  if (configured && configured.enabled === false) return null;
  const files = configured ?? (existsSync(device.cert) && existsSync(device.key) ? device : null);
  if (!files) return null;
  try {
    const cert = readFileSync(files.cert);
    const key = readFileSync(files.key);
    const der = new X509Certificate(cert).raw;
    const hex = createHash("sha256").update(der).digest("hex").toUpperCase();
    return { cert, key, fingerprint: hex.match(/../g)?.join(":") ?? hex };
  } catch (err) {
    throw new UserError(
      `cannot use the TLS certificate ${files.cert} / key ${files.key}: ${(err as Error).message}`,
      {
        code: ErrorCode.TLS_ERROR,
        fix: "check both PEM files exist and are readable by the agent, or remove server.tls from the config",
        cause: err,
      },
    );
  }
}
