import { ErrorCode } from "../../error-codes.js";
import { UserError } from "../../errors.js";
import { PermanentSendError, RateLimitedError } from "../types.js";

/**
 * WeCom server API return codes the bridge treats specially (developer.work.weixin.qq.com, "全局错误码"
 * path/96213): 40014 invalid access_token and 42001 access_token expired (fetch a new one and retry);
 * 40001/40091 invalid secret and 40013 invalid CorpID (gettoken: the owner's settings); 45009 "接口调用超过
 * 限制" and 45033 concurrent-call limit (rate limits); 60020 request from an IP not on the app's trusted
 * list; 81013 every recipient invalid or outside the app's visible range; 44004 empty text; 45002 content
 * too long; 40008 invalid message type; 93000 a group robot webhook key that does not exist.
 */
export const WECOM_TOKEN_REFRESH = new Set([40014, 42001]);
const WECOM_RATE_LIMIT = new Set([45009, 45033]);
const WECOM_BAD_CREDENTIALS = new Set([40001, 40013, 40091]);
const WECOM_PERMANENT = new Set([40008, 44004, 45002, 60020, 81013, 93000]);
/**
 * Wait after a rate-limit answer, ms: application messages are limited to 30 per minute per member
 * ("发送应用消息" frequency limits, path/90312), so a slot opens every 2 s.
 */
export const WECOM_RATE_LIMIT_WAIT_MS = 2000;

/** A WeCom answer with errcode ≠ 0. */
export class WeComApiError extends Error {
  constructor(
    readonly errcode: number,
    message: string,
  ) {
    super(`wecom ${errcode}: ${message}`);
    this.name = "WeComApiError";
  }
}

/**
 * One JSON call to the WeCom server API (`{apiUrl}/cgi-bin/…`). Resolves with the body when errcode is 0;
 * throws WeComApiError otherwise and a plain Error when unreachable. Times out after 15 s (chosen).
 * `url` may carry the access_token or a robot key: never logged.
 */
export async function wecomRequest<T>(url: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const timeout = AbortSignal.timeout(15_000);
  const res = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  const data = (await res.json().catch(() => ({ errcode: -1, errmsg: `HTTP ${res.status}` }))) as T & {
    errcode?: number;
    errmsg?: string;
  };
  if (data.errcode) throw new WeComApiError(data.errcode, data.errmsg ?? "");
  return data;
}

/**
 * The app's access_token (`GET /cgi-bin/gettoken?corpid&corpsecret`, valid `expires_in` s = 7200), cached
 * until 5 minutes before expiry and dropped when WeCom answers 40014/42001. Throws UserError
 * `bridge_bad_token` (40001/40013/40091) or `bridge_unreachable`.
 */
export class WeComToken {
  private token: { value: string; until: number } | undefined;

  constructor(
    private readonly apiUrl: string,
    private readonly corpId: string,
    private readonly corpSecret: string,
  ) {}

  async get(signal?: AbortSignal): Promise<string> {
    if (this.token && this.token.until > Date.now()) return this.token.value;
    const q = new URLSearchParams({ corpid: this.corpId, corpsecret: this.corpSecret });
    let data: { access_token?: string; expires_in?: number };
    try {
      data = await wecomRequest(`${this.apiUrl}/cgi-bin/gettoken?${q}`, undefined, signal);
    } catch (err) {
      if (err instanceof WeComApiError && WECOM_BAD_CREDENTIALS.has(err.errcode)) {
        throw new UserError(`WeCom refused the CorpID ${this.corpId} or the app Secret (${err.errcode}).`, {
          fix: "Copy the CorpID (My Company → Company Information) and the app's Secret (App Management → your app) again.",
          code: ErrorCode.BRIDGE_BAD_TOKEN,
        });
      }
      if (err instanceof WeComApiError) throw err;
      throw new UserError(`Cannot reach the WeCom API at ${this.apiUrl}.`, {
        fix: "Check the device's internet connection and DNS (qyapi.weixin.qq.com must be reachable).",
        code: ErrorCode.BRIDGE_UNREACHABLE,
        cause: err,
      });
    }
    if (!data.access_token) throw new Error("WeCom answered gettoken without an access_token");
    this.token = { value: data.access_token, until: Date.now() + ((data.expires_in ?? 7200) - 300) * 1000 };
    return data.access_token;
  }

  clear(): void {
    this.token = undefined;
  }
}

/**
 * Maps a failed send to the core's kinds: 45009/45033 → RateLimitedError (2 s); the codes in
 * WECOM_PERMANENT → PermanentSendError (60020 names the trusted-IP setting); others stay transient.
 */
export function mapWeComError(err: unknown): Error {
  if (!(err instanceof WeComApiError)) return err instanceof Error ? err : new Error(String(err));
  if (WECOM_RATE_LIMIT.has(err.errcode)) return new RateLimitedError(WECOM_RATE_LIMIT_WAIT_MS, err.message);
  if (err.errcode === 60020) {
    return new PermanentSendError(
      `${err.message} — add the device's public IP to the app's trusted IPs (App Management → your app → Trusted IP)`,
    );
  }
  if (WECOM_PERMANENT.has(err.errcode)) return new PermanentSendError(err.message);
  return err;
}
