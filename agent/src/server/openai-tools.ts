import { randomBytes } from "node:crypto";
import { toGrammarSchema } from "../inference/json-schema-grammar.js";
import type { GeneratedToolCall, ToolCallRecord, ToolDefinition, ToolsRequest } from "../inference/types.js";
import { ParamError } from "./param-error.js";

/** `tools[]` as OpenAI clients send them (only function tools exist in the Chat Completions API). */
export interface OpenAiTool {
  type: "function";
  function: {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
    strict?: boolean | null;
  };
}

export type OpenAiToolChoice =
  | "none"
  | "auto"
  | "required"
  | { type: "function"; function: { name: string } };

/** A call in an assistant message of the history. */
export interface OpenAiToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** JSON Schema of `tools` (OpenAI: function names match ^[a-zA-Z0-9_-]{1,64}$). */
export const TOOLS_SCHEMA = {
  type: ["array", "null"],
  items: {
    type: "object",
    required: ["type", "function"],
    properties: {
      type: { type: "string", enum: ["function"] },
      function: {
        type: "object",
        required: ["name"],
        properties: {
          name: { type: "string", pattern: "^[a-zA-Z0-9_-]{1,64}$" },
          description: { type: "string" },
          parameters: { type: "object" },
          strict: { type: ["boolean", "null"] },
        },
      },
    },
  },
} as const;

export const TOOL_CHOICE_SCHEMA = {
  anyOf: [
    { type: "string", enum: ["none", "auto", "required"] },
    {
      type: "object",
      required: ["type", "function"],
      properties: {
        type: { type: "string", enum: ["function"] },
        function: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
      },
    },
    { type: "null" },
  ],
} as const;

export const TOOL_CALLS_SCHEMA = {
  type: ["array", "null"],
  items: {
    type: "object",
    required: ["id", "function"],
    properties: {
      id: { type: "string" },
      type: { type: "string", enum: ["function"] },
      function: {
        type: "object",
        required: ["name", "arguments"],
        properties: { name: { type: "string" }, arguments: { type: "string" } },
      },
    },
  },
} as const;

/**
 * The engine's ToolsRequest for `tools` + `tool_choice`, or undefined when there are none or the choice is
 * "none" (then the model is not told about them). Each tool's `parameters` must be enforceable by a grammar
 * (toGrammarSchema). Throws ParamError (400) for duplicate names, a choice that needs tools when there are
 * none, or a named choice that is not among the tools.
 */
export function toToolsRequest(
  tools: OpenAiTool[] | null | undefined,
  choice: OpenAiToolChoice | null | undefined,
  parallel?: boolean | null,
): ToolsRequest | undefined {
  const list = tools ?? [];
  if (list.length === 0) {
    if (choice && choice !== "none" && choice !== "auto") {
      throw new ParamError(
        "tool_choice",
        "tool_choice asks for a tool call but no tools were sent",
        "send tools or omit tool_choice",
      );
    }
    return undefined;
  }
  if (choice === "none") return undefined;
  const definitions: ToolDefinition[] = [];
  const seen = new Set<string>();
  list.forEach((tool, i) => {
    const { name, description, parameters } = tool.function;
    if (seen.has(name)) {
      throw new ParamError(
        `tools[${i}].function.name`,
        `tool "${name}" is defined twice`,
        "give every tool a unique name",
      );
    }
    seen.add(name);
    definitions.push({
      name,
      ...(description ? { description } : {}),
      ...(parameters ? { parameters: toGrammarSchema(parameters, `tools[${i}].function.parameters`) } : {}),
    });
  });
  if (choice && typeof choice === "object") {
    const name = choice.function.name;
    if (!seen.has(name)) {
      throw new ParamError(
        "tool_choice.function.name",
        `tool_choice names "${name}", which is not among the tools (${[...seen].join(", ")})`,
        "name one of the tools sent in `tools`",
      );
    }
    return { definitions, choice: { name }, ...(parallel === false ? { parallel } : {}) };
  }
  return {
    definitions,
    choice: choice === "required" ? "required" : "auto",
    ...(parallel === false ? { parallel } : {}),
  };
}

/**
 * The tool calls of an assistant message at `messages[index]` with their results from the `role: "tool"`
 * messages after it (matched by tool_call_id). Throws ParamError (400) when arguments are not JSON or a
 * call has no result (the model would otherwise answer a call that never returned).
 */
export function toToolCallRecords(
  calls: OpenAiToolCall[],
  index: number,
  results: ReadonlyMap<string, string>,
): ToolCallRecord[] {
  return calls.map((call, j) => {
    const at = `messages[${index}].tool_calls[${j}]`;
    let params: unknown;
    try {
      params = call.function.arguments.trim() === "" ? {} : JSON.parse(call.function.arguments);
    } catch {
      throw new ParamError(
        `${at}.function.arguments`,
        `${at}.function.arguments is not valid JSON`,
        "send the arguments as the JSON text the model produced",
      );
    }
    const result = results.get(call.id);
    if (result === undefined) {
      throw new ParamError(
        at,
        `${at} (id "${call.id}") has no tool message with its result`,
        `add {"role": "tool", "tool_call_id": "${call.id}", "content": …} after the assistant message`,
      );
    }
    return { name: call.function.name, params, result };
  });
}

/** The OpenAI shape of generated calls, each with a fresh id ("call_" + 24 hex digits). */
export function toOpenAiToolCalls(calls: readonly GeneratedToolCall[]): OpenAiToolCall[] {
  return calls.map((c) => ({
    id: newToolCallId(),
    type: "function",
    function: { name: c.name, arguments: c.arguments },
  }));
}

export function newToolCallId(): string {
  return `call_${randomBytes(12).toString("hex")}`;
}
