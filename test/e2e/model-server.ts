import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A local stand-in for a model host: serves one GGUF, with Range support, optionally throttled. */
export interface ModelServer {
  /** URL of the file; `slow` = throttled to `bytesPerSecond`. */
  url(fileName: string, slow?: boolean): string;
  /** Requests received (with their Range headers). */
  requests: { path: string; range: string | undefined }[];
  close(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 (free port). `/slow/<name>` sends the whole file in 20 chunks spread over
 * `slowSeconds` (so a test can reload or pause mid-download, whatever the test model's size);
 * `/fast/<name>` sends at once. `Range: bytes=N-` → 206 with Content-Range.
 */
export async function startModelServer(file: string, slowSeconds: number): Promise<ModelServer> {
  const data = readFileSync(file);
  const chunk = Math.ceil(data.length / 20);
  const intervalMs = (1000 * slowSeconds) / 20;
  const requests: ModelServer["requests"] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    requests.push({ path, range: req.headers.range });
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = m ? Number(m[1]) : 0;
    const body = data.subarray(start);
    const headers: Record<string, string | number> = {
      "content-type": "application/octet-stream",
      "content-length": body.length,
      "accept-ranges": "bytes",
      etag: '"test-model"',
    };
    if (m) headers["content-range"] = `bytes ${start}-${data.length - 1}/${data.length}`;
    res.writeHead(m ? 206 : 200, headers);
    if (!path.startsWith("/slow/")) {
      res.end(body);
      return;
    }
    let offset = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      res.write(body.subarray(offset, offset + chunk));
      offset += chunk;
      if (offset >= body.length) {
        clearInterval(timer);
        res.end();
      }
    }, intervalMs);
    res.on("close", () => clearInterval(timer));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (name, slow = false) => `http://127.0.0.1:${port}/${slow ? "slow" : "fast"}/${name}`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
