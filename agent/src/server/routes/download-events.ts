import type { FastifyReply, FastifyRequest } from "fastify";
import type { ModelDownloads } from "../../setup/model-downloads.js";
import { SseStream } from "../sse.js";

/**
 * Streams the download state as server-sent events: the current state at once, then every change, one
 * JSON DownloadState per `data:` line, plus a comment line every 15 s so proxies keep the stream open.
 * Ends when the client goes away. Used by the setup and the dashboard routes.
 */
export function streamDownloads(
  downloads: ModelDownloads,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  reply.hijack();
  const res = reply.raw;
  const sse = new SseStream(res);
  sse.start();
  sse.send(downloads.state());
  const unsubscribe = downloads.subscribe((state) => sse.send(state));
  const keepAlive = setInterval(() => {
    if (!sse.closed) res.write(": keep-alive\n\n");
  }, 15_000);
  const stop = () => {
    clearInterval(keepAlive);
    unsubscribe();
    sse.end();
  };
  request.raw.on("close", stop);
  res.on("close", stop);
}
