import { sleep } from "../backoff.js";
import { splitText } from "../chunker.js";
import { RateLimitedError } from "../types.js";
import { mapWeComError, wecomRequest } from "./wecom-api.js";

/**
 * Content limits of a WeCom group robot message, UTF-8 bytes ("群机器人配置说明", developer.work.weixin.qq.com
 * path/91770): text 2048, markdown 4096. Each robot may send 20 messages a minute; beyond that WeCom answers
 * 45009 — the wait is that minute's share, 3 s (60 s / 20).
 */
export const ROBOT_TEXT_LIMIT_BYTES = 2048;
export const ROBOT_MARKDOWN_LIMIT_BYTES = 4096;
const ROBOT_RATE_WAIT_MS = 3000;

export interface RobotAlertOptions {
  /** Send as markdown (WeCom's subset: headings, bold, links, `<font color>`), else plain text. */
  markdown?: boolean;
  /** How often one piece is retried after a rate limit. Default 5 (about 15 s). */
  maxRateLimitRetries?: number;
  signal?: AbortSignal;
}

/**
 * Sends an ops alert to a WeCom group robot (群机器人) webhook — `https://qyapi.weixin.qq.com/cgi-bin/webhook/
 * send?key=KEY`, the URL WeCom shows when a robot is added to a group chat. Long text is split at the
 * content limit on paragraph/sentence boundaries and sent in order; a 45009 rate-limit answer is waited out.
 * Resolves with the number of messages sent. Throws `WeComApiError`-derived errors (e.g. 93000 for a
 * wrong key, as PermanentSendError) or a network error; the URL (its key is a secret) is never in a message.
 */
export async function sendWeComRobotAlert(
  webhookUrl: string,
  text: string,
  opts: RobotAlertOptions = {},
): Promise<number> {
  const msgtype = opts.markdown ? "markdown" : "text";
  const maxLength = opts.markdown ? ROBOT_MARKDOWN_LIMIT_BYTES : ROBOT_TEXT_LIMIT_BYTES;
  const pieces = splitText(text, { maxLength, unit: "bytes" });
  for (const content of pieces) {
    for (let attempt = 0; ; attempt++) {
      try {
        await wecomRequest(webhookUrl, { msgtype, [msgtype]: { content } }, opts.signal);
        break;
      } catch (err) {
        const mapped = mapWeComError(err);
        if (!(mapped instanceof RateLimitedError) || attempt >= (opts.maxRateLimitRetries ?? 5)) throw mapped;
        await sleep(ROBOT_RATE_WAIT_MS, opts.signal);
      }
    }
  }
  return pieces.length;
}
