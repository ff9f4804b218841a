/** One Server-Sent Event as dispatched by the parser. */
export interface SseEvent {
  /** `id:` field; undefined when the event carried none. */
  id?: string;
  /** `event:` field; "message" when absent (HTML spec default). */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
}

/**
 * Incremental parser of a `text/event-stream` body (WHATWG HTML "Server-sent events", §9.2.6 "Interpreting
 * an event stream"): feed it decoded text as it arrives; it calls `onEvent` for every complete event
 * (terminated by a blank line). Lines end in LF, CR or CRLF; comment lines (starting with ":", signal-cli's
 * keep-alive) are skipped; one space after the field's colon is dropped; an event without data is not
 * dispatched. `retry:` is ignored (the adapter uses the core's backoff).
 */
export class SseParser {
  private buffer = "";
  private id: string | undefined;
  private event = "";
  private data: string[] = [];
  private hasData = false;

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  /** Adds a piece of the stream (any split, even inside a line or a CRLF pair). */
  push(text: string): void {
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) return;
      // A lone CR at the end may be the first half of CRLF: wait for the next piece.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) return;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      this.data.push(value);
      this.hasData = true;
    } else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
  }

  private dispatch(): void {
    if (this.hasData) {
      this.onEvent({ id: this.id, event: this.event || "message", data: this.data.join("\n") });
    }
    // The spec keeps the last event id across events; type and data are per event.
    this.event = "";
    this.data = [];
    this.hasData = false;
  }
}
