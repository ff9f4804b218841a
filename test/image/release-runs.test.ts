import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRuntime, runCli, type StartedAgent, startCli } from "../api/cli-process.js";
import { TEST_THREADS, testModelKind, testModelPath } from "../support/test-model.js";
import { ensureQemuAarch64 } from "./binfmt.js";
import { buildDeviceRelease } from "./device-release.js";
import { pinnedNodeVersion } from "./node-pin.js";
import { explain, requireTool, run } from "./tools.js";

// The releases the image installs, as the device runs them: `image/make-release.sh <arch>` unpacked, its
// CLI on the pinned Node of the device (node-linux-<arch> from the npm registry, checked against the
// agent role's SHA-512) — arm64 under qemu-user-static through binfmt_misc, x64 natively. `clawbox
// detect`, `clawbox start` with the test model and a real chat completion over HTTP prove the native parts:
// better-sqlite3 (built by image/build-native-addons.sh for that arch and Node ABI) and node-llama-cpp's
// prebuilt backend. Measured times: image/README.md.

// Minutes of work (two releases, one started under emulation): only with CLAWBOX_IMAGE_TEST=1, which
// .ci/run sets. Measured times in image/README.md.
const ENABLED = process.env.CLAWBOX_IMAGE_TEST === "1";
if (!ENABLED) {
  console.log(
    "test/image/release-runs.test.ts: skipped — set CLAWBOX_IMAGE_TEST=1 to build the arm64 and x64 releases " +
      "(node-gyp, crossbuild-essential-arm64, npm registry) and run them on the pinned Node (arm64 under qemu-user-static).",
  );
}

/** Under qemu-user every instruction is translated: starting Node and the agent takes ~10× longer. */
const EMULATED_TIMEOUT_MS = 10 * 60_000;
let work = "";

interface ChatResponse {
  choices: { message: { content: string } }[];
  usage: { completion_tokens: number };
}

/** Builds the `arch` release into the work folder (device-release.ts) and prints how long it took. */
function buildRelease(arch: "x64" | "arm64", env: NodeJS.ProcessEnv): CliRuntime {
  const started = Date.now();
  const runtime = buildDeviceRelease(arch, work, env);
  console.log(`make-release.sh ${arch}: ${Math.round((Date.now() - started) / 1000)} s`);
  return runtime;
}

/** `clawbox start` on the test model; resolves once /healthz answers 200 and with the API token. */
async function startAgent(
  runtime: CliRuntime,
  dataDir: string,
  timeoutMs: number,
): Promise<{ agent: StartedAgent; token: string }> {
  const args = ["--model", await testModelPath(), "--port", "0", "--data-dir", dataDir];
  args.push("--threads", String(TEST_THREADS), "--context-size", "256");
  const agent = await startCli(args, timeoutMs, runtime);
  const deadline = Date.now() + timeoutMs;
  while (
    (await fetch(`${agent.url}/healthz`).then(
      (res) => res.status,
      () => 0,
    )) !== 200
  ) {
    if (Date.now() > deadline) throw new Error(`${agent.url}/healthz never answered 200:\n${agent.stderr()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const printed = await runCli(["token", "--data-dir", dataDir], { runtime, timeoutMs });
  expect(printed.code, printed.stderr).toBe(0);
  return { agent, token: printed.stdout.trim() };
}

/** One chat completion over HTTP; returns the answer's text after checking it is a real completion. */
async function chat(url: string, token: string): Promise<string> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 24 }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as ChatResponse;
  expect(body.usage.completion_tokens).toBeGreaterThan(0);
  const text = body.choices[0]?.message.content ?? "";
  expect(text.length).toBeGreaterThan(0);
  // The shared story model writes English; the generated one random tokens.
  if (testModelKind() === "shared") expect(text).toMatch(/\b(the|a|was|and|she|he|they|to)\b/i);
  return text;
}

beforeAll(() => {
  if (ENABLED) work = mkdtempSync(join(tmpdir(), "clawbox-release-runs-"));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ENABLED).each([
  { arch: "arm64" as const, emulated: true },
  { arch: "x64" as const, emulated: false },
])("the $arch release on the device's pinned Node", ({ arch, emulated }) => {
  const timeoutMs = emulated ? EMULATED_TIMEOUT_MS : 120_000;
  let runtime: CliRuntime;
  let started: { agent: StartedAgent; token: string } | undefined;
  let dataDir: string;

  beforeAll(() => {
    requireTool("python3", "python3"); // node-gyp
    requireTool("make", "make");
    if (emulated) requireTool("aarch64-linux-gnu-g++", "crossbuild-essential-arm64");
    else requireTool("g++", "g++");
    dataDir = join(work, `data-${arch}`);
    const env = emulated ? ensureQemuAarch64() : {};
    runtime = buildRelease(arch, env);
  }, 25 * 60_000);

  afterAll(async () => {
    await started?.agent.stop();
  });

  it(
    "runs the device's Node for that CPU",
    () => {
      const r = run(runtime.node, ["-p", "process.arch + ' v' + process.versions.node"], {
        env: { ...process.env, ...runtime.env },
      });
      expect(r.code, explain(r)).toBe(0);
      expect(r.stdout.trim()).toBe(`${arch} v${pinnedNodeVersion()}`);
    },
    timeoutMs,
  );

  it(
    "clawbox detect reports the CPU architecture",
    async () => {
      const r = await runCli(["detect", "--json", "--data-dir", dataDir], { runtime, timeoutMs });
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as {
        arch: string;
        platform: string;
        cpu: { logicalCores: number };
      };
      expect(report.arch).toBe(arch);
      expect(report.platform).toBe("linux");
      expect(report.cpu.logicalCores).toBeGreaterThan(0);
    },
    timeoutMs,
  );

  it(
    "clawbox start opens its SQLite store and answers a chat completion",
    async () => {
      const t0 = Date.now();
      started = await startAgent(runtime, dataDir, timeoutMs);
      const t1 = Date.now();
      const text = await chat(started.agent.url, started.token);
      console.log(
        `${arch} release: start ${Math.round((t1 - t0) / 1000)} s, chat ${Math.round((Date.now() - t1) / 1000)} s: ${JSON.stringify(text.slice(0, 60))}`,
      );
      expect(await started.agent.stop()).toBe(0);
      // The release's better-sqlite3 binding stored the conversation: read it back with this machine's own.
      const db = new Database(join(dataDir, "clawbox.db"), { readonly: true });
      const row = db.prepare("SELECT count(*) AS n FROM messages WHERE content = ?").get(text) as {
        n: number;
      };
      db.close();
      expect(row.n).toBe(1);
    },
    2 * timeoutMs,
  );
});
