import { PermanentSendError, RateLimitedError } from "../types.js";

/**
 * WhatsApp Cloud API error codes the bridge treats specially (Meta for Developers, "WhatsApp Cloud API →
 * Error codes"): 190 access token expired/invalid; 4 and 80007 app / WABA rate limits; 130429 "Rate limit
 * hit" (Cloud API throughput); 131056 "(Business Account, Consumer Account) pair rate limit hit" (too many
 * messages to one user); 131047 "Re-engagement message" (more than 24 hours since the user last wrote:
 * only template messages may be sent); 100 invalid parameter (e.g. unknown phone number id).
 */
export const GRAPH_TOKEN_INVALID = 190;
export const GRAPH_INVALID_PARAMETER = 100;
export const WA_RATE_LIMIT = 130429;
export const WA_PAIR_RATE_LIMIT = 131056;
export const WA_REENGAGEMENT = 131047;
const APP_RATE_LIMITS = new Set([4, 80007]);

/**
 * Waits when Meta sends no Retry-After header, ms. Pair limit: Meta's docs allow about one message every
 * 6 seconds to the same user; throughput and app limits: chosen (10 s, then the outbox retries).
 */
export const PAIR_RATE_LIMIT_WAIT_MS = 6_000;
export const RATE_LIMIT_WAIT_MS = 10_000;

/** A Graph API error answer (`{"error": {message, type, code, error_subcode, error_data, fbtrace_id}}`). */
export class GraphApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "GraphApiError";
  }
}

/** Minimal Graph API client: `{graphApiUrl}/{apiVersion}/<path>` with the bearer token. */
export class GraphClient {
  constructor(
    private readonly base: string,
    private readonly accessToken: string,
  ) {}

  /**
   * GET or POST JSON; resolves with the parsed body of a 2xx answer. Throws GraphApiError for an error
   * answer (HTTP status, Graph code, message — never the token) and a plain Error when the server is
   * unreachable. Times out after 30 s (chosen: Meta answers in well under a second when healthy).
   */
  async request<T>(method: "GET" | "POST", path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(30_000);
    const res = await fetch(`${this.base}/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.accessToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await res.text();
    let data: { error?: { message?: string; code?: number; error_data?: { details?: string } } } & T;
    try {
      data = JSON.parse(text);
    } catch {
      if (res.ok) throw new Error(`Graph API answered HTTP ${res.status} without JSON`);
      throw new GraphApiError(res.status, undefined, `HTTP ${res.status}`, retryAfter(res));
    }
    if (!res.ok || data.error) {
      const e = data.error ?? {};
      const details = e.error_data?.details ? ` (${e.error_data.details})` : "";
      throw new GraphApiError(
        res.status,
        e.code,
        `${e.message ?? `HTTP ${res.status}`}${details}`,
        retryAfter(res),
      );
    }
    return data;
  }
}

function retryAfter(res: Response): number | undefined {
  const s = Number(res.headers.get("retry-after"));
  return Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
}

/**
 * Maps a failed send to the core's error kinds: HTTP 429 or codes 130429/131056/4/80007 → RateLimitedError
 * (Retry-After if given, else 6 s for the pair limit, 10 s otherwise); 131047 → PermanentSendError saying
 * the 24-hour window is closed; other 4xx → PermanentSendError, except 401/190 (a token the owner may
 * renew: kept in the outbox); 5xx and network errors stay transient.
 */
export function mapWhatsAppSendError(err: unknown): Error {
  if (!(err instanceof GraphApiError)) return err instanceof Error ? err : new Error(String(err));
  const code = err.code ?? 0;
  if (
    err.status === 429 ||
    code === WA_RATE_LIMIT ||
    code === WA_PAIR_RATE_LIMIT ||
    APP_RATE_LIMITS.has(code)
  ) {
    const wait =
      err.retryAfterMs ?? (code === WA_PAIR_RATE_LIMIT ? PAIR_RATE_LIMIT_WAIT_MS : RATE_LIMIT_WAIT_MS);
    return new RateLimitedError(wait, `WhatsApp rate limit (${code || err.status}): ${err.message}`);
  }
  if (code === WA_REENGAGEMENT) {
    return new PermanentSendError(
      "WhatsApp refused the reply: more than 24 hours passed since this user's last message, and outside that window only approved template messages may be sent (error 131047).",
    );
  }
  if (err.status === 401 || code === GRAPH_TOKEN_INVALID) return err;
  if (err.status >= 400 && err.status < 500)
    return new PermanentSendError(`WhatsApp refused the reply: ${err.message}`);
  return err;
}
