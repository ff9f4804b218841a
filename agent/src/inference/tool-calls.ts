import type {
  ChatModelFunctionCall,
  ChatModelFunctions,
  ChatWrapper,
  ChatWrapperGenerateContextStateOptions,
  ChatWrapperGeneratedContextState,
  LlamaChatResponse,
} from "node-llama-cpp";
import { LlamaText } from "node-llama-cpp";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { GeneratedToolCall, LoadedModelInfo, ToolCallRecord, ToolsRequest } from "./types.js";

/**
 * The functions node-llama-cpp documents to the model and parses calls of (`LlamaChat` `functions`): every
 * tool for "auto"/"required", only the named one for a named tool_choice (so the forced call can only pick
 * it). Definitions without handlers: LlamaChat stops at the call and returns it (stopReason "functionCalls").
 */
export function toChatFunctions(tools: ToolsRequest): ChatModelFunctions {
  const chosen =
    typeof tools.choice === "object"
      ? tools.definitions.filter((d) => d.name === (tools.choice as { name: string }).name)
      : tools.definitions;
  return Object.fromEntries(
    chosen.map((d) => [
      d.name,
      {
        ...(d.description ? { description: d.description } : {}),
        ...(d.parameters ? { params: d.parameters } : {}),
      },
    ]),
  );
}

/**
 * The model's own chat wrapper, except that the reply must start with a function call: node-llama-cpp's
 * `noPrefixTrigger: {type: "functionCall"}` puts the wrapper's call prefix into the sequence and constrains
 * the function name and then the parameters with grammars built from the functions' JSON schemas. Used for
 * tool_choice "required" and a named tool_choice. Everything else (call syntax, results, prompt) is the
 * inner wrapper's, through a Proxy so every wrapper method and setting stays as the model family needs it.
 */
export function forcedCallWrapper(inner: ChatWrapper): ChatWrapper {
  const generateContextState = (
    options: ChatWrapperGenerateContextStateOptions,
  ): ChatWrapperGeneratedContextState => {
    const state = inner.generateContextState(options);
    return {
      contextText: state.contextText,
      stopGenerationTriggers: state.stopGenerationTriggers,
      noPrefixTrigger: { type: "functionCall", inject: LlamaText([]) },
      detectFunctionCalls: true,
    };
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "generateContextState") return generateContextState;
      return Reflect.get(target, prop, receiver);
    },
  });
}

/** An earlier tool call of the history as node-llama-cpp's function call item (with its result). */
export function toFunctionCallItem(call: ToolCallRecord): ChatModelFunctionCall {
  return { type: "functionCall", name: call.name, params: call.params, result: call.result };
}

/** The calls of a LlamaChat response in OpenAI's shape: name + arguments as compact JSON text. */
export function collectToolCalls(response: LlamaChatResponse<ChatModelFunctions>): GeneratedToolCall[] {
  return (response.functionCalls ?? []).map((c) => ({
    name: c.functionName,
    arguments: JSON.stringify(c.params ?? {}),
  }));
}

/**
 * Throws UserError (400) when `model` cannot be prompted to call tools: it has no chat template (base
 * models such as stories260K get the plain transcript format, which has no place for tool definitions or
 * calls). Any chat template works: node-llama-cpp uses the family's native call syntax where it knows one
 * (Llama 3.1, Qwen, Functionary, Mistral …) and documents the tools in the system prompt otherwise.
 */
export function assertToolCapable(model: LoadedModelInfo): void {
  if (model.chatTemplate !== "fallback") return;
  throw new UserError(
    `model "${model.id}" has no chat template, so it cannot call tools (its GGUF has no tokenizer.chat_template)`,
    {
      status: 400,
      code: ErrorCode.TOOLS_UNSUPPORTED,
      fix: "send the request without tools, or load an instruct model with a chat template (e.g. a Qwen2.5 or Llama 3.x instruct GGUF)",
    },
  );
}
