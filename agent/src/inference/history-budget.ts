import { createHash } from "node:crypto";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { ChatMessage } from "./types.js";

/**
 * Where a conversation's window started last time: the index of its first kept turn (after the leading
 * system messages) and a hash of that turn, to notice when the caller sent a different history.
 */
export interface HistoryWindow {
  start: number;
  anchor: string;
}

export interface FitHistoryInput {
  /** The whole conversation, OpenAI style (leading system messages, then turns; the last is answered). */
  messages: readonly ChatMessage[];
  /** Most prompt tokens allowed: context size − max tokens − 1. */
  budget: number;
  /**
   * Share of `budget` (0–0.9) freed when trimming is needed, default 0.25: dropping a block of old turns at
   * once keeps the prompt's prefix stable for the next turns, so the KV cache can be reused instead of
   * re-evaluating the whole window each turn.
   */
  headroom?: number;
  /** Prompt tokens of a message list as the model will see it (chat template + tokenizer). */
  countTokens: (messages: readonly ChatMessage[]) => number;
  /** The window chosen for this conversation last time, if any. */
  previous?: HistoryWindow;
}

export interface FittedHistory {
  /** System messages + the kept turns, in order. */
  messages: ChatMessage[];
  /** Prompt tokens of `messages` (by `countTokens`), ≤ budget. */
  promptTokens: number;
  /** Turns left out at the start. */
  dropped: number;
  /** Pass back as `previous` on the conversation's next request. */
  window: HistoryWindow;
}

function anchorOf(m: ChatMessage | undefined): string {
  if (!m) return "";
  return createHash("sha1").update(m.role).update("\0").update(m.content).digest("base64");
}

/**
 * Bounds a conversation by a token budget counted with the model's own tokenizer: keeps the leading system
 * messages and the newest turns, drops the oldest turns (whole user→assistant exchanges: a kept window
 * always starts on a user message when there is one), so prompt tokens ≤ `budget` however long the
 * conversation grows. Costs O(log n) renderings when trimming, one otherwise.
 *
 * Throws UserError `context_length_exceeded` (400) when the system messages plus the last message alone exceed
 * the budget.
 */
export function fitHistory(input: FitHistoryInput): FittedHistory {
  const { messages, budget, countTokens } = input;
  const headroom = Math.min(0.9, Math.max(0, input.headroom ?? 0.25));
  let systemCount = 0;
  while (systemCount < messages.length && messages[systemCount]?.role === "system") systemCount++;
  const system = messages.slice(0, systemCount);
  const turns = messages.slice(systemCount);
  const windowFrom = (start: number): ChatMessage[] => [...system, ...turns.slice(start)];

  if (turns.length === 0) {
    const promptTokens = countTokens(system);
    if (promptTokens > budget) throw overflow(promptTokens, budget);
    return { messages: [...system], promptTokens, dropped: 0, window: { start: 0, anchor: "" } };
  }

  // Candidate window starts: turns that begin an exchange (user messages), plus the last turn as a last resort.
  const starts: number[] = [];
  turns.forEach((m, i) => {
    if (m.role === "user" || i === 0) starts.push(i);
  });
  if (starts.at(-1) !== turns.length - 1) starts.push(turns.length - 1);

  const prev = input.previous;
  const prevValid =
    prev !== undefined && prev.start < turns.length && anchorOf(turns[prev.start]) === prev.anchor;
  const from = prevValid ? prev.start : 0;
  const cost = new Map<number, number>();
  const tokensFrom = (start: number): number => {
    let n = cost.get(start);
    if (n === undefined) {
      n = countTokens(windowFrom(start));
      cost.set(start, n);
    }
    return n;
  };

  let chosen = from;
  if (tokensFrom(from) > budget) {
    const candidates = starts.filter((s) => s > from);
    const last = candidates.at(-1) ?? from;
    const lastTokens = tokensFrom(last);
    if (lastTokens > budget) throw overflow(lastTokens, budget);
    const target = Math.floor(budget * (1 - headroom));
    const limit = lastTokens <= target ? target : budget;
    // smallest candidate whose window fits `limit` (costs fall as the start moves later)
    let lo = 0;
    let hi = candidates.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tokensFrom(candidates[mid] as number) <= limit) hi = mid;
      else lo = mid + 1;
    }
    chosen = candidates[lo] as number;
  }
  return {
    messages: windowFrom(chosen),
    promptTokens: tokensFrom(chosen),
    dropped: chosen,
    window: { start: chosen, anchor: anchorOf(turns[chosen]) },
  };
}

function overflow(needed: number, budget: number): UserError {
  return new UserError(
    `The system prompt and the last message need ${needed} tokens, but only ${budget} fit in the context next to the reply.`,
    {
      code: ErrorCode.CONTEXT_LENGTH_EXCEEDED,
      status: 400,
      fix: "Send a shorter message or system prompt, ask for fewer tokens (max_tokens), or load the model with a larger context size.",
    },
  );
}
