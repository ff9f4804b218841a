import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { PermanentSendError, RateLimitedError } from "../types.js";

/**
 * DingTalk's answers the bridge treats specially (open.dingtalk.com, "Server API error codes" and the robot
 * pages): session webhook / robot `errcode` 130101 and 410100 "send too fast" (20 messages a minute per
 * robot and chat); OpenAPI HTTP 429 or codes "Throttling…" / "Forbidden.AccessDenied.QpsLimitForApi" (QPS
 * limits); OpenAPI 401 "InvalidAuthentication" (token expired: fetch a new one). A robot that is throttled
 * is silent for a while, so the wait is the full minute's share: 3 s (60 s / 20).
 */
export const DINGTALK_SEND_TOO_FAST = new Set([130101, 410100]);
export const DINGTALK_RATE_LIMIT_WAIT_MS = 3000;
/** Robot errors that retrying does not fix: 300001 robot gone, 400013 group gone, 300007 content too long. */
const PERMANENT_ERRCODES = new Set([300001, 300007, 400013]);

/** An OpenAPI or webhook error with DingTalk's code. */
export class DingTalkApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "DingTalkApiError";
  }
}

/**
 * One JSON request to DingTalk (OpenAPI `api.dingtalk.com/v1.0/…` or a robot webhook). Resolves with the
 * body of a 2xx answer whose `errcode`, if any, is 0. Throws DingTalkApiError (HTTP status, code, message —
 * never the token) or a plain Error when unreachable. Times out after 15 s (chosen; DingTalk answers in
 * well under a second when healthy).
 */
export async function dingtalkRequest<T>(
  url: string,
  body: unknown,
  opts: { token?: string; signal?: AbortSignal } = {},
): Promise<T> {
  const timeout = AbortSignal.timeout(15_000);
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      ...(opts.token ? { "x-acs-dingtalk-access-token": opts.token } : {}),
    },
    body: JSON.stringify(body),
    signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
  });
  const data = (await res.json().catch(() => ({}))) as T & {
    errcode?: number;
    errmsg?: string;
    code?: string;
    message?: string;
  };
  const retry = Number(res.headers.get("retry-after"));
  const retryAfterMs = Number.isFinite(retry) && retry > 0 ? retry * 1000 : undefined;
  if (!res.ok) {
    throw new DingTalkApiError(
      res.status,
      data.code ?? `HTTP ${res.status}`,
      data.message ?? "",
      retryAfterMs,
    );
  }
  if (data.errcode !== undefined && data.errcode !== 0) {
    throw new DingTalkApiError(res.status, String(data.errcode), data.errmsg ?? "", retryAfterMs);
  }
  return data;
}

/**
 * Internal-app access token (`POST /v1.0/oauth2/accessToken`, valid `expireIn` seconds, 7200), cached until
 * 5 minutes before it expires. Throws UserError `bridge_bad_token` when DingTalk refuses the client id or
 * secret, `bridge_unreachable` when it cannot be reached.
 */
export class DingTalkToken {
  private token: { value: string; until: number } | undefined;

  constructor(
    private readonly apiUrl: string,
    private readonly clientId: string,
    private readonly clientSecret: string,
  ) {}

  async get(signal?: AbortSignal): Promise<string> {
    if (this.token && this.token.until > Date.now()) return this.token.value;
    let data: { accessToken?: string; expireIn?: number };
    try {
      data = await dingtalkRequest(
        `${this.apiUrl}/v1.0/oauth2/accessToken`,
        { appKey: this.clientId, appSecret: this.clientSecret },
        { signal },
      );
    } catch (err) {
      if (err instanceof DingTalkApiError && err.status >= 400 && err.status < 500) {
        throw new UserError(`DingTalk refused the Client ID ${this.clientId} or its secret (${err.code}).`, {
          fix: "Copy Client ID and Client Secret again from the DingTalk developer console → Credentials & Basic Info.",
          code: ErrorCode.BRIDGE_BAD_TOKEN,
        });
      }
      if (err instanceof DingTalkApiError) throw err;
      throw new UserError(`Cannot reach DingTalk at ${this.apiUrl}.`, {
        fix: "Check the device's internet connection and DNS (api.dingtalk.com and wss-open-connection.dingtalk.com must be reachable).",
        code: ErrorCode.BRIDGE_UNREACHABLE,
        cause: err,
      });
    }
    if (!data.accessToken) throw new Error("DingTalk answered without an accessToken");
    this.token = { value: data.accessToken, until: Date.now() + ((data.expireIn ?? 7200) - 300) * 1000 };
    return data.accessToken;
  }

  /** Forgets the token (DingTalk answered 401: it expired early or was revoked). */
  clear(): void {
    this.token = undefined;
  }
}

/**
 * Maps a failed send to the core's kinds: send-too-fast codes, HTTP 429 and throttling codes →
 * RateLimitedError (Retry-After, else 3 s); robot/group gone or content too long → PermanentSendError;
 * other 4xx except 401 → PermanentSendError; 401, 5xx and network errors stay transient.
 */
export function mapDingTalkError(err: unknown): Error {
  if (!(err instanceof DingTalkApiError)) return err instanceof Error ? err : new Error(String(err));
  const what = `dingtalk ${err.code}: ${err.message}`;
  const numeric = Number(err.code);
  if (err.status === 429 || DINGTALK_SEND_TOO_FAST.has(numeric) || /^Throttling|QpsLimit/.test(err.code)) {
    return new RateLimitedError(err.retryAfterMs ?? DINGTALK_RATE_LIMIT_WAIT_MS, what);
  }
  if (PERMANENT_ERRCODES.has(numeric)) return new PermanentSendError(what);
  if (err.status >= 400 && err.status < 500 && err.status !== 401) return new PermanentSendError(what);
  return new Error(what, { cause: err });
}
