import {
  type ChatHistoryItem,
  type ChatModelFunctions,
  ChatWrapper,
  type ChatWrapperGenerateContextStateOptions,
  type ChatWrapperGeneratedContextState,
  chatWrappers,
  JinjaTemplateChatWrapper,
  type LlamaModel,
  LlamaText,
  resolveChatWrapper,
  SpecialToken,
  type Token,
} from "node-llama-cpp";
import { toFunctionCallItem } from "./tool-calls.js";
import type { ChatMessage } from "./types.js";

/**
 * A plain transcript format for models without a chat template (base models such as the TinyStories test
 * model). No default system prompt is injected — node-llama-cpp would otherwise guess Llama2Chat for a
 * `llama` GGUF, whose long default system prompt does not even fit a 256-token context.
 *
 * ```
 * <BOS>{system}\n\nUser: {user}\nAssistant: {reply}\nUser: {user}\nAssistant:
 * ```
 * The prompt ends on "Assistant:" (no trailing space, which SentencePiece tokenizers would turn into a
 * stray token); the leading space of the reply is dropped. Generation stops at EOS or a new "User:" line.
 */
export class PlainChatWrapper extends ChatWrapper {
  readonly wrapperName = "Plain";

  override generateContextState({
    chatHistory,
  }: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState {
    const parts: LlamaText[] = [LlamaText(new SpecialToken("BOS"))];
    const systems: string[] = [];
    chatHistory.forEach((item, index) => {
      const isLast = index === chatHistory.length - 1;
      if (item.type === "system") {
        systems.push(LlamaText.fromJSON(item.text).toString());
        return;
      }
      if (systems.length > 0) {
        parts.push(LlamaText(`${systems.join("\n\n")}\n\n`));
        systems.length = 0;
      }
      if (item.type === "user") {
        parts.push(LlamaText(`User: ${item.text}\n`));
      } else {
        const reply = this.generateModelResponseText(item.response);
        const empty = reply.values.length === 0;
        parts.push(LlamaText([empty ? "Assistant:" : "Assistant: ", reply, isLast ? "" : "\n"]));
      }
    });
    if (systems.length > 0) parts.push(LlamaText(`${systems.join("\n\n")}\n\n`));
    return {
      contextText: LlamaText(parts),
      stopGenerationTriggers: [LlamaText(new SpecialToken("EOS")), LlamaText("\nUser:")],
      ignoreStartText: [LlamaText(" ")],
    };
  }
}

/** The chat format used for a loaded model. */
export interface ChatFormat {
  wrapper: ChatWrapper;
  /** Short name for LoadedModelInfo.chatTemplate: "jinja", a node-llama-cpp wrapper name ("chatML", "llama3.1", …) or "fallback". */
  name: string;
}

/**
 * Picks the chat format of `model`: when its GGUF carries `tokenizer.chat_template`, node-llama-cpp's
 * resolution (a specialised wrapper when the Jinja template matches a known family, otherwise the Jinja
 * template itself); with no template, {@link PlainChatWrapper} ("fallback").
 */
export function resolveChatFormat(model: LlamaModel): ChatFormat {
  const template = model.fileInfo.metadata?.tokenizer?.chat_template;
  if (typeof template !== "string" || template.trim() === "") {
    return { wrapper: new PlainChatWrapper(), name: "fallback" };
  }
  const wrapper = resolveChatWrapper(model, { warningLogs: false });
  return { wrapper, name: chatFormatName(wrapper) };
}

function chatFormatName(wrapper: ChatWrapper): string {
  if (wrapper instanceof JinjaTemplateChatWrapper) return "jinja";
  for (const [name, ctor] of Object.entries(chatWrappers)) {
    if (wrapper.constructor === ctor) return name;
  }
  return wrapper.wrapperName;
}

/**
 * Converts OpenAI-style messages to node-llama-cpp's chat history, ending on a model turn: an empty one to
 * answer the last user message, or the caller's last assistant message to be continued (prefill). An
 * assistant message's tool calls become function call items with their results after its text, so a
 * history ending on tool results is continued by the model's answer to them.
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m): ChatHistoryItem => {
    if (m.role === "system") return { type: "system", text: LlamaText(m.content).toJSON() };
    if (m.role === "user") return { type: "user", text: m.content };
    const calls = (m.toolCalls ?? []).map(toFunctionCallItem);
    return { type: "model", response: [...(m.content || calls.length === 0 ? [m.content] : []), ...calls] };
  });
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}

/**
 * The prompt `history` renders to with `wrapper`, as tokens of the model's own tokenizer (BOS included);
 * with `functions`, their documentation as the wrapper puts it into the prompt is counted too.
 */
export function renderPromptTokens(
  model: LlamaModel,
  wrapper: ChatWrapper,
  history: ChatHistoryItem[],
  functions?: ChatModelFunctions,
): Token[] {
  return wrapper
    .generateContextState({ chatHistory: history, ...(functions ? { availableFunctions: functions } : {}) })
    .contextText.tokenize(model.tokenizer);
}
