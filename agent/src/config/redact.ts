/** Key names whose values are secrets (tokens, passwords, keys of bridges added later). */
export const SECRET_KEY = /(token|secret|password|passphrase|apikey|api_key|privatekey|private_key)$/i;

/**
 * A deep copy of `value` with every secret-looking key's value replaced by "[redacted]", for
 * `clawbox config show` and logs. Keys match case-insensitively on their ending (botToken, signingSecret…).
 */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? "[redacted]" : redactSecrets(v);
    return out as T;
  }
  return value;
}
