import { newToolCallId } from "./openai-tools.js";

/** One `delta.tool_calls[]` entry of a streamed chat completion chunk (OpenAI shape). */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments: string };
}

/**
 * Turns node-llama-cpp's parameter chunks of tool calls into OpenAI stream deltas: the first delta of a
 * call carries its index, a new id, type and name with empty arguments; the next ones carry argument text
 * only. Whitespace the grammar lets the model emit between JSON tokens is held back until more JSON text
 * follows, so the trailing newlines after a call's closing brace never reach the client (the concatenated
 * arguments equal the call's JSON text up to insignificant whitespace).
 */
export class ToolCallStreamer {
  private readonly started = new Set<number>();
  private readonly pending = new Map<number, string>();

  constructor(private readonly send: (delta: ToolCallDelta) => void) {}

  push(piece: { index: number; name: string; arguments: string }): void {
    const { index, name } = piece;
    if (!this.started.has(index)) {
      this.started.add(index);
      this.send({ index, id: newToolCallId(), type: "function", function: { name, arguments: "" } });
    }
    const text = (this.pending.get(index) ?? "") + piece.arguments;
    if (text.trim() === "") {
      this.pending.set(index, text);
      return;
    }
    this.pending.delete(index);
    this.send({ index, function: { arguments: text } });
  }
}
