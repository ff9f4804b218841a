/**
 * The `data:` payloads of a server-sent-events response body, in order (the clawbox agent, llama-server and
 * Ollama all send `data: <json>` events separated by a blank line; CRLF line ends are accepted too, as the
 * SSE specification allows).
 */
export async function* sseData(res: Response): AsyncGenerator<string> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true }).replaceAll("\r\n", "\n");
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n");
      if (data) yield data;
      end = buffer.indexOf("\n\n");
    }
  }
}
