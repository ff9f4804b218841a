import { describe, expect, it } from "vitest";
import { type ToolCallDelta, ToolCallStreamer } from "./tool-call-stream.js";

describe("ToolCallStreamer", () => {
  it("opens each call with id and name, then sends argument text, holding back bare whitespace", () => {
    const sent: ToolCallDelta[] = [];
    const s = new ToolCallStreamer((d) => sent.push(d));
    for (const piece of ['{"a"', ":", " ", "1}", "\n", "\n"])
      s.push({ index: 0, name: "f", arguments: piece });
    s.push({ index: 1, name: "g", arguments: "{}" });

    expect(sent[0]).toMatchObject({ index: 0, type: "function", function: { name: "f", arguments: "" } });
    expect(sent[0]?.id).toMatch(/^call_[0-9a-f]{24}$/);
    const args0 = sent.filter((d) => d.index === 0 && !d.id).map((d) => d.function.arguments);
    expect(args0).toEqual(['{"a"', ":", " 1}"]);
    expect(JSON.parse(args0.join(""))).toEqual({ a: 1 });
    const opened = sent.filter((d) => d.id);
    expect(opened.map((d) => d.function.name)).toEqual(["f", "g"]);
    expect(opened[0]?.id).not.toBe(opened[1]?.id);
  });
});
