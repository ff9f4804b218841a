import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../../../test/support/test-model.js";
import { UserError } from "../errors.js";
import { runCommand } from "./cli-test-kit.js";
import { register } from "./models.js";

const tmp = mkdtempSync(join(tmpdir(), "clawbox-cli-models-"));
const dataDir = join(tmp, "data");
const content = Buffer.concat([Buffer.from("GGUF"), Buffer.from([3, 0, 0, 0]), randomBytes(200_000)]);
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Length": content.length }).end(content);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs `clawbox models <args> --data-dir <dataDir>`; returns stdout and stderr. */
function run(...args: string[]): Promise<{ out: string; err: string }> {
  return runCommand((p) => register(p.command("models")), "models", ...args, "--data-dir", dataDir);
}

describe("clawbox models", () => {
  it("list on an empty store says how to get a model", async () => {
    expect((await run("list")).out).toMatch(/No models in .*clawbox models pull/s);
  });

  it("pull downloads into <data dir>/models and prints where", async () => {
    const { out, err } = await run("pull", `${base}/dl/tiny.gguf`);
    const path = join(dataDir, "models", "tiny.gguf");
    expect(readFileSync(path).equals(content)).toBe(true);
    expect(out).toContain("tiny.gguf: downloaded");
    expect(out).toContain(path);
    expect(err).toMatch(/tiny\.gguf .*\/ .* 100 %/); // a plain progress line (stderr is not a TTY here)
    expect((await run("pull", `${base}/dl/tiny.gguf`)).out).toContain("already in the store");
  });

  it("pull refuses a malformed --sha256", async () => {
    await expect(run("pull", `${base}/dl/tiny.gguf`, "--sha256", "abc")).rejects.toBeInstanceOf(UserError);
  });

  it("import, list --json and rm", async () => {
    const src = join(tmp, "story.gguf");
    writeFileSync(src, readFileSync(await testModelPath()));
    expect((await run("import", src)).out).toContain("imported story.gguf");
    const listed = JSON.parse((await run("list", "--json")).out);
    expect(listed.models.map((m: { name: string }) => m.name)).toEqual(["story.gguf", "tiny.gguf"]);
    expect((await run("list")).out).toMatch(/NAME\s+MODEL\s+QUANT\s+SIZE\s+MODIFIED/);
    expect((await run("rm", "story.gguf")).out).toBe("removed story.gguf\n");
    expect(existsSync(join(dataDir, "models", "story.gguf"))).toBe(false);
    await expect(run("rm", "story.gguf")).rejects.toBeInstanceOf(UserError);
  });
});
