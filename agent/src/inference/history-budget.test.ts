import { getLlama, type Llama, LlamaLogLevel, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../../../test/support/test-model.js";
import { renderPromptTokens, resolveChatFormat, toChatHistory } from "./chat-format.js";
import { fitHistory, type HistoryWindow } from "./history-budget.js";
import type { ChatMessage } from "./types.js";

/** A conversation of `turns` user/assistant pairs with varied lengths. */
function conversation(turns: number): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: "system", content: "You are Lily's friendly storyteller." }];
  for (let i = 0; i < turns; i++) {
    messages.push({ role: "user", content: `Tell me part ${i} about the ${"big ".repeat(i % 7)}red ball.` });
    messages.push({
      role: "assistant",
      content: `Part ${i}: the ball rolled ${"far ".repeat((i * 3) % 11)}away.`,
    });
  }
  return messages;
}

describe("fitHistory with the model's own tokenizer and chat format", () => {
  let llama: Llama;
  let model: LlamaModel;
  let count: (m: readonly ChatMessage[]) => number;

  beforeAll(async () => {
    llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    model = await llama.loadModel({ modelPath: await testModelPath(), vocabOnly: true });
    const { wrapper } = resolveChatFormat(model);
    count = (m) => renderPromptTokens(model, wrapper, toChatHistory(m)).length;
  });
  afterAll(async () => {
    await llama?.dispose();
  });

  it("keeps everything while it fits", () => {
    const messages = conversation(2).slice(0, -1);
    const fitted = fitHistory({ messages, budget: 10_000, countTokens: count });
    expect(fitted.messages).toEqual(messages);
    expect(fitted.dropped).toBe(0);
    expect(fitted.promptTokens).toBe(count(messages));
  });

  /** Runs a 200-turn conversation through fitHistory, checking the invariants each turn; returns trim count. */
  function simulate(headroom: number): { trims: number; dropped: number } {
    const budget = count(conversation(15)); // room for ~15 exchanges, whatever the tokenizer

    let window: HistoryWindow | undefined;
    const full = conversation(200);
    let trims = 0;
    let dropped = 0;
    for (let turn = 0; turn < 200; turn++) {
      const messages = full.slice(0, 2 + turn * 2); // system + turns so far, ending on a user message
      const fitted = fitHistory({ messages, budget, headroom, countTokens: count, previous: window });
      window = fitted.window;
      expect(fitted.promptTokens).toBeLessThanOrEqual(budget);
      expect(fitted.promptTokens).toBe(count(fitted.messages));
      expect(fitted.messages[0]).toEqual(full[0]);
      expect(fitted.messages.at(-1)).toEqual(messages.at(-1));
      expect(fitted.messages[1]?.role).toBe("user");
      if (fitted.dropped !== dropped) trims++;
      dropped = fitted.dropped;
    }
    return { trims, dropped };
  }

  it("stays within budget over 200 turns, keeps the system message and the newest message", () => {
    const blocky = simulate(0.25);
    const eager = simulate(0);
    expect(blocky.dropped).toBeGreaterThan(300);
    expect(eager.dropped).toBeGreaterThan(300);
    // cutting a block of old turns at once keeps the prompt prefix stable for several turns in between
    expect(blocky.trims * 2).toBeLessThan(eager.trims);
  });

  it("restarts from the whole history when the caller sends a different conversation", () => {
    const a = conversation(60).slice(0, -1);
    const first = fitHistory({ messages: a, budget: 150, countTokens: count });
    expect(first.dropped).toBeGreaterThan(0);
    const b = conversation(3).slice(0, -1);
    expect(first.window.start).toBeGreaterThan(b.length);
    const second = fitHistory({ messages: b, budget: 1000, countTokens: count, previous: first.window });
    expect(second.dropped).toBe(0);
    expect(second.messages).toEqual(b);
  });

  it("throws context_length_exceeded when the last message alone does not fit", () => {
    const messages: ChatMessage[] = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "word ".repeat(400) },
    ];
    expect(() => fitHistory({ messages, budget: 100, countTokens: count })).toThrow(
      expect.objectContaining({ code: "context_length_exceeded", status: 400 }),
    );
  });
});
