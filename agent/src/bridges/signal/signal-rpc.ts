import { PermanentSendError, RateLimitedError } from "../types.js";

/**
 * JSON-RPC error codes signal-cli answers with (signal-cli `SignalJsonRpcCommandHandler`, JSON-RPC 2.0 spec):
 * -32601 method not found ("Method not implemented", e.g. `listAccounts` on a single-account daemon),
 * -32602 invalid params ("Specified account does not exist"), -1 user error (unregistered recipient, bad
 * group id), -3 I/O error (network to the Signal server), -4 untrusted identity key, -5 rate limit.
 */
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_INVALID_PARAMS = -32602;
export const RPC_USER_ERROR = -1;
export const RPC_IO_ERROR = -3;
export const RPC_UNTRUSTED_KEY = -4;
export const RPC_RATE_LIMIT = -5;

/**
 * Wait after a Signal rate limit when signal-cli gives no `retryAfterSeconds`, ms. Chosen, not measured:
 * the Signal server's limits are undocumented; a minute keeps a chat's queue from hammering it.
 */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/** Per-request time limit, ms (a send waits for the Signal server's answer; 30 s covers a slow mobile link). */
const RPC_TIMEOUT_MS = 30_000;

/** An error object of a JSON-RPC response. */
export class SignalRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "SignalRpcError";
  }
}

/**
 * Minimal JSON-RPC 2.0 client for signal-cli's HTTP daemon (`POST <url>/api/v1/rpc`, man signal-cli-jsonrpc(5)).
 * `account` is added to every call's params, as the multi-account daemon requires (a single-account daemon
 * `-a +NUMBER` ignores it).
 */
export class SignalRpcClient {
  private nextId = 1;

  constructor(
    readonly baseUrl: string,
    private readonly account: string,
  ) {}

  /**
   * Calls `method` and resolves with its `result`. Throws SignalRpcError for a JSON-RPC error answer, and a
   * plain Error when the daemon is unreachable or answers something that is not JSON-RPC (HTTP status in
   * the message). `withAccount: false` leaves out the `account` param (for multi-account commands).
   */
  async call<T>(
    method: string,
    params: Record<string, unknown> = {},
    opts: { withAccount?: boolean; signal?: AbortSignal } = {},
  ): Promise<T> {
    const id = this.nextId++;
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id,
      method,
      params: opts.withAccount === false ? params : { ...params, account: this.account },
    });
    const timeout = AbortSignal.timeout(RPC_TIMEOUT_MS);
    const res = await fetch(`${this.baseUrl}/api/v1/rpc`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
    });
    const text = await res.text();
    let answer: { result?: T; error?: { code?: number; message?: string; data?: unknown } };
    try {
      answer = JSON.parse(text);
    } catch {
      throw new Error(`signal-cli answered HTTP ${res.status} without JSON-RPC to ${method}`);
    }
    if (answer.error) {
      throw new SignalRpcError(
        Number(answer.error.code ?? 0),
        answer.error.message ?? "unknown error",
        answer.error.data,
      );
    }
    return answer.result as T;
  }
}

/**
 * Maps a failed `send`/`sendTyping` to the core's error kinds: rate limit (code -5, or a message naming
 * rate limiting) → RateLimitedError after the largest `retryAfterSeconds` of the per-recipient results
 * (default 60 s); user errors (-1: unregistered recipient, unknown group), untrusted key (-4) and invalid
 * params → PermanentSendError; I/O errors (-3), other codes and network errors stay transient.
 */
export function mapSignalSendError(err: unknown): Error {
  if (err instanceof SignalRpcError) {
    if (err.code === RPC_RATE_LIMIT || /rate.?limit/i.test(err.message)) {
      return new RateLimitedError(retryAfterMs(err.data) ?? DEFAULT_RATE_LIMIT_WAIT_MS, err.message);
    }
    if (err.code === RPC_USER_ERROR || err.code === RPC_UNTRUSTED_KEY || err.code === RPC_INVALID_PARAMS) {
      return new PermanentSendError(`signal-cli refused the message: ${err.message}`);
    }
    return err;
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Largest `retryAfterSeconds` in `data.response.results[]` (signal-cli's SendMessageResults), ms. */
function retryAfterMs(data: unknown): number | undefined {
  const results = (data as { response?: { results?: { retryAfterSeconds?: unknown }[] } } | undefined)
    ?.response?.results;
  if (!Array.isArray(results)) return undefined;
  const secs = results.map((r) => Number(r.retryAfterSeconds)).filter((n) => Number.isFinite(n) && n > 0);
  return secs.length ? Math.max(...secs) * 1000 : undefined;
}
