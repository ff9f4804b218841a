import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { testModelPath } from "../../../test/support/test-model.js";
import { UserError } from "../errors.js";
import { loadCatalogue } from "./catalogue.js";
import { ModelStore } from "./store.js";

/** A generated "model": GGUF magic + version 3 + 1 MiB of random bytes. */
const content = Buffer.concat([Buffer.from("GGUF"), Buffer.from([3, 0, 0, 0]), randomBytes(1024 * 1024)]);
const sha = createHash("sha256").update(content).digest("hex");
const ETAG = '"v1-abc"';

interface ServerState {
  range: boolean;
  /** Drop the connection after this many body bytes on the next request only. */
  dropNextAt: number | null;
  requests: { url: string; headers: IncomingHttpHeaders }[];
}
const state: ServerState = { range: true, dropNextAt: null, requests: [] };
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    state.requests.push({ url: req.url ?? "", headers: req.headers });
    if (!req.url?.endsWith(".gguf") || req.url.includes("/missing/")) {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const ifRangeOk = req.headers["if-range"] === undefined || req.headers["if-range"] === ETAG;
    let status = 200;
    let body = content;
    const headers: Record<string, string | number> = {
      ETag: ETAG,
      "Content-Type": "application/octet-stream",
    };
    if (state.range) headers["Accept-Ranges"] = "bytes";
    if (state.range && range && ifRangeOk) {
      const from = Number(range[1]);
      status = 206;
      body = content.subarray(from);
      headers["Content-Range"] = `bytes ${from}-${content.length - 1}/${content.length}`;
    }
    headers["Content-Length"] = body.length;
    res.writeHead(status, headers);
    const drop = state.dropNextAt;
    if (drop !== null) {
      state.dropNextAt = null;
      res.write(body.subarray(0, drop), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

let dir: string;
let store: ModelStore;
const catalogue = loadCatalogue();
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "clawbox-store-"));
  store = new ModelStore(join(dir, "models"), { catalogue, env: {} });
  state.range = true;
  state.dropNextAt = null;
  state.requests = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function userError(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error("expected a UserError");
}

const url = () => `${base}/files/model.gguf`;
const final = () => join(store.dir, "model.gguf");

describe("ModelStore.pull over HTTP", () => {
  it("downloads the whole file, verifies the SHA-256 and moves it into place", async () => {
    const seen: number[] = [];
    const got = await store.pull(url(), { sha256: sha, onProgress: (p) => seen.push(p.downloadedBytes) });
    expect(readFileSync(final()).equals(content)).toBe(true);
    expect(got.download?.sha256).toBe(sha);
    expect(got.download?.resumed).toBe(false);
    expect(seen.at(-1)).toBe(content.length);
    expect(existsSync(`${final()}.partial`)).toBe(false);
    expect(existsSync(`${final()}.partial.json`)).toBe(false);
    expect((await store.list()).map((m) => m.name)).toEqual(["model.gguf"]);
  });

  it("refuses a wrong SHA-256 and leaves no file in place", async () => {
    const err = await userError(store.pull(url(), { sha256: "0".repeat(64) }));
    expect(err.code).toBe("sha256_mismatch");
    expect(existsSync(final())).toBe(false);
    expect(existsSync(`${final()}.partial`)).toBe(false);
    expect(await store.list()).toEqual([]);
  });

  it("resumes an interrupted download with a Range request; the result is byte-identical", async () => {
    state.dropNextAt = 400_000;
    const err = await userError(store.pull(url(), { retries: 0 }));
    expect(err.code).toBe("download_interrupted");
    const partialBytes = statSync(`${final()}.partial`).size;
    expect(partialBytes).toBeGreaterThan(0);
    expect(partialBytes).toBeLessThan(content.length);
    expect(await store.list()).toEqual([]); // a partial is never listed
    expect((await store.partials())[0]?.name).toBe("model.gguf");

    const got = await store.pull(url(), { sha256: sha, retries: 0 });
    const last = state.requests.at(-1);
    expect(last?.headers.range).toBe(`bytes=${partialBytes}-`);
    expect(last?.headers["if-range"]).toBe(ETAG);
    expect(got.download?.resumed).toBe(true);
    expect(readFileSync(final()).equals(content)).toBe(true);
  });

  it("resumes by itself after a dropped connection when retries are allowed", async () => {
    state.dropNextAt = 300_000;
    await store.pull(url(), { sha256: sha, retries: 1, retryDelayMs: 1 });
    expect(state.requests).toHaveLength(2);
    expect(state.requests[1]?.headers.range).toMatch(/^bytes=\d+-$/);
    expect(readFileSync(final()).equals(content)).toBe(true);
  });

  it("stops on abort, keeps the partial, and resumes later", async () => {
    const ac = new AbortController();
    state.dropNextAt = null;
    const err = await userError(
      store.pull(url(), { signal: ac.signal, onProgress: (p) => p.downloadedBytes > 0 && ac.abort() }),
    );
    expect(err.code).toBe("download_aborted");
    expect(err.fix).toMatch(/resume/);
    expect(existsSync(`${final()}.partial`)).toBe(true);
    expect(existsSync(final())).toBe(false);
    await store.pull(url(), { sha256: sha });
    expect(state.requests.at(-1)?.headers.range).toMatch(/^bytes=\d+-$/);
    expect(readFileSync(final()).equals(content)).toBe(true);
  });

  it("restarts cleanly when the server ignores Range", async () => {
    state.dropNextAt = 500_000;
    await userError(store.pull(url(), { retries: 0 }));
    state.range = false;
    const got = await store.pull(url(), { sha256: sha, retries: 0 });
    expect(state.requests.at(-1)?.headers.range).toBeDefined(); // it asked…
    expect(got.download?.resumed).toBe(false); // …got a 200 and started over
    expect(readFileSync(final()).equals(content)).toBe(true);
  });

  it("checks free disk before writing anything and names both numbers", async () => {
    const small = new ModelStore(store.dir, { catalogue, env: {}, freeDiskBytes: async () => 1000 });
    const err = await userError(small.pull(url()));
    expect(err.code).toBe("no_disk");
    expect(err.message).toContain(`${content.length} bytes`);
    expect(err.message).toContain("1000 bytes");
    expect(existsSync(`${final()}.partial`)).toBe(false);
  });

  it("checks the catalogue size against free disk before any request", async () => {
    const small = new ModelStore(store.dir, {
      catalogue,
      env: { HF_ENDPOINT: base },
      freeDiskBytes: async () => 5e8,
    });
    const err = await userError(small.pull("qwen2.5-1.5b-instruct"));
    expect(err.code).toBe("no_disk");
    expect(err.message).toContain("986000000 bytes");
    expect(state.requests).toHaveLength(0);
  });

  it("maps hf: URIs onto HF_ENDPOINT and sends HF_TOKEN only there", async () => {
    const hf = new ModelStore(store.dir, { catalogue, env: { HF_ENDPOINT: base, HF_TOKEN: "hf_secret" } });
    await hf.pull("hf:someone/tiny-GGUF/model.gguf#dev");
    expect(state.requests[0]?.url).toBe("/someone/tiny-GGUF/resolve/dev/model.gguf");
    expect(state.requests[0]?.headers.authorization).toBe("Bearer hf_secret");
    rmSync(final());
    await hf.pull(url());
    expect(state.requests[1]?.headers.authorization).toBe("Bearer hf_secret"); // same origin as HF_ENDPOINT
    const other = new ModelStore(store.dir, { catalogue, env: { HF_TOKEN: "hf_secret" } });
    rmSync(final());
    await other.pull(url());
    expect(state.requests[2]?.headers.authorization).toBeUndefined();
  });

  it("reports HTTP errors with a fix and keeps nothing", async () => {
    const err = await userError(store.pull(`${base}/missing/x.gguf`));
    expect(err.code).toBe("http_error");
    expect(err.message).toContain("HTTP 404");
    expect(err.fix).toMatch(/file name/);
    expect(existsSync(join(store.dir, "x.gguf.partial"))).toBe(false);
  });
});

describe("ModelStore import, list, resolve, remove", () => {
  it("refuses to import a file that is not GGUF", async () => {
    const bad = join(dir, "fake.gguf");
    writeFileSync(bad, "<html>not a model</html>");
    const err = await userError(store.import(bad));
    expect(err.code).toBe("not_gguf");
    expect(await store.list()).toEqual([]);
  });

  it("imports a real GGUF, lists, resolves and removes it", async () => {
    const model = await testModelPath();
    const stored = await store.import(model);
    expect(stored.bytes).toBe(statSync(model).size);
    expect(readFileSync(stored.path).equals(readFileSync(model))).toBe(true);
    expect(stored.modelId).toBeNull();
    expect(await store.resolve(stored.name)).toBe(stored.path);
    expect(await store.resolve(stored.path)).toBe(stored.path);
    expect((await userError(store.import(model))).code).toBe("model_exists");
    expect(await store.remove(stored.name)).toEqual([stored.name]);
    expect(await store.list()).toEqual([]);
  });

  it("resolves a catalogue id to its stored file, and says how to pull a missing one", async () => {
    const model = await testModelPath();
    const copy = join(dir, "Qwen2.5-0.5B-Instruct-Q8_0.gguf");
    writeFileSync(copy, readFileSync(model));
    await store.import(copy, { move: true });
    expect(existsSync(copy)).toBe(false);
    const listed = await store.list();
    expect(listed[0]).toMatchObject({ modelId: "qwen2.5-0.5b-instruct", quant: "Q8_0" });
    expect(await store.resolve("qwen2.5-0.5b-instruct")).toBe(listed[0]?.path);
    const err = await userError(store.resolve("qwen3-8b"));
    expect(err.code).toBe("model_not_found");
    expect(err.fix).toBe("clawbox models pull qwen3-8b");
  });
});
