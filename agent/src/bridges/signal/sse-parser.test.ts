import { describe, expect, it } from "vitest";
import { type SseEvent, SseParser } from "./sse-parser.js";

function parse(pieces: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const p of pieces) parser.push(p);
  return events;
}

describe("SseParser", () => {
  it("parses signal-cli's shape: id, event, one data line, keep-alive comments", () => {
    const stream = ':\nid:7\nevent:receive\ndata:{"a":1}\n\n:\n';
    expect(parse([stream])).toEqual([{ id: "7", event: "receive", data: '{"a":1}' }]);
  });

  it("joins data lines, drops one leading space, defaults the type to message, keeps the last id", () => {
    const events = parse(["id: 1\ndata: first\ndata:  second\n\n", "data: x\n\n"]);
    expect(events).toEqual([
      { id: "1", event: "message", data: "first\n second" },
      { id: "1", event: "message", data: "x" },
    ]);
  });

  it("handles any split of the stream, CRLF and CR line ends, and skips events without data", () => {
    const whole = "id:1\r\nevent:receive\r\ndata:ab\r\n\r\nevent:ping\r\n\r\nid:2\rdata:cd\r\r\n";
    const expected = [
      { id: "1", event: "receive", data: "ab" },
      { id: "2", event: "message", data: "cd" },
    ];
    expect(parse([whole])).toEqual(expected);
    // Every split point, including between CR and LF.
    for (let i = 1; i < whole.length; i++) {
      expect(parse([whole.slice(0, i), whole.slice(i)])).toEqual(expected);
    }
    expect(parse(whole.split(""))).toEqual(expected);
  });

  it("does not dispatch an unterminated event", () => {
    expect(parse(["id:3\ndata:half"])).toEqual([]);
  });
});
