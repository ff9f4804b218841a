import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { PermanentSendError, RateLimitedError } from "../types.js";

/** Open platform base URL per `domain` (the SDK's Domain.Feishu / Domain.Lark). */
export const FEISHU_DOMAINS = {
  feishu: "https://open.feishu.cn",
  lark: "https://open.larksuite.com",
} as const;

/**
 * Feishu error codes the bridge treats specially (open.feishu.cn, "Server API error codes" and the "Send
 * message" page): 99991400 the API's request-frequency limit (HTTP 429, `x-ogw-ratelimit-reset` seconds);
 * 230020 "message send frequency limit" (5 QPS per user or group); 230002 the bot is not in the chat;
 * 230013 the user is outside the app's availability; 230001 invalid parameter; 230025 content too long;
 * 230099 card/content build failure. Token endpoint: 10003 invalid app_id, 10014 invalid app_secret.
 */
export const FEISHU_RATE_LIMIT = 99991400;
export const FEISHU_SEND_FREQUENCY = 230020;
const PERMANENT = new Set([230001, 230002, 230013, 230025, 230099]);
const BAD_CREDENTIALS = new Set([10003, 10014]);

/** tenant_access_token invalid or expired (99991663, 99991661, 99991668 on the error-code page). */
const TOKEN_INVALID = new Set([99991661, 99991663, 99991668]);

/** Wait when Feishu gives no reset header, ms: one second (the frequency limits are per second). */
const DEFAULT_RETRY_MS = 1000;

/**
 * One JSON call to the open platform with fetch (used for the start-up checks before the SDK runs):
 * resolves with the body when `code` is 0. Throws UserError `bridge_unreachable` when the server cannot be
 * reached, `bridge_bad_token` for refused credentials (10003/10014, HTTP 401), else Error with Feishu's msg.
 * Times out after 15 s (chosen: the SDK's own endpoint request uses 15 s).
 */
export async function openPlatformCall<T>(
  base: string,
  method: "GET" | "POST",
  path: string,
  opts: { body?: unknown; token?: string; signal?: AbortSignal },
): Promise<T & { code: number; msg?: string }> {
  const timeout = AbortSignal.timeout(15_000);
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: {
        "content-type": "application/json; charset=utf-8",
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
    });
  } catch (err) {
    throw new UserError(`Cannot reach the Feishu open platform at ${base}.`, {
      fix: "Check the device's internet connection and DNS, and the domain setting (feishu or lark).",
      code: ErrorCode.BRIDGE_UNREACHABLE,
      cause: err,
    });
  }
  const data = (await res.json().catch(() => ({ code: -1, msg: `HTTP ${res.status}` }))) as T & {
    code: number;
    msg?: string;
  };
  if (data.code === 0) return data;
  if (BAD_CREDENTIALS.has(data.code) || res.status === 401) {
    throw new UserError(`Feishu refused the app credentials (${data.code}: ${data.msg ?? ""}).`, {
      fix: "Copy App ID and App Secret again from the developer console → Credentials & Basic Info, and check domain (feishu or lark) matches where the app was created.",
      code: ErrorCode.BRIDGE_BAD_TOKEN,
    });
  }
  throw new Error(`Feishu ${path} answered ${data.code}: ${data.msg ?? ""}`);
}

/**
 * Maps a failed IM API call (an axios error from the SDK, or a body with code ≠ 0) to the core's kinds:
 * HTTP 429 / 99991400 / 230020 → RateLimitedError (the reset header's seconds, else 1 s); the codes in
 * PERMANENT → PermanentSendError; anything else (network, 5xx, token refresh) stays transient.
 */
export function mapFeishuError(err: unknown): Error {
  const e = err as {
    response?: { status?: number; data?: { code?: number; msg?: string }; headers?: Record<string, unknown> };
    body?: { code?: number; msg?: string };
    message?: string;
  };
  const status = e?.response?.status;
  const body = e?.response?.data ?? e?.body;
  const code = typeof body?.code === "number" ? body.code : undefined;
  const what = `feishu ${code ?? status ?? ""}: ${body?.msg ?? e?.message ?? String(err)}`;
  if (status === 429 || code === FEISHU_RATE_LIMIT || code === FEISHU_SEND_FREQUENCY) {
    const reset = Number(e.response?.headers?.["x-ogw-ratelimit-reset"]);
    return new RateLimitedError(Number.isFinite(reset) && reset > 0 ? reset * 1000 : DEFAULT_RETRY_MS, what);
  }
  if (code !== undefined && PERMANENT.has(code)) return new PermanentSendError(what);
  return err instanceof Error ? new Error(what, { cause: err }) : new Error(what);
}

/** True when Feishu refused the call's tenant_access_token (the caller drops its cached token). */
export function isTokenInvalid(err: unknown): boolean {
  const e = err as { response?: { data?: { code?: number } }; body?: { code?: number } };
  const code = e?.response?.data?.code ?? e?.body?.code;
  return code !== undefined && TOKEN_INVALID.has(code);
}
